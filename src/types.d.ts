declare module "*.env" {
  const text: string;
  export default text;
}
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.service" {
  const text: string;
  export default text;
}
declare module "*.target" {
  const text: string;
  export default text;
}
declare module "*.json" {
  const text: string;
  export default text;
}
declare module "*.txt" {
  const text: string;
  export default text;
}
