/** The URL a listener is actually bound to (0.0.0.0 stays 0.0.0.0: it says the port is open on every interface). */
export function boundUrl(server: { hostname?: string | undefined; port?: number | undefined }): string {
  const host = server.hostname ?? "";
  return `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
}
