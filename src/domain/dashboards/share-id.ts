// The id in a dashboard's public link: 144 random bits, URL-safe (base64url, 24 characters). Whoever has it may
// read the dashboard, so it is unguessable; unsharing drops it and sharing again makes a new one.

export function newShareId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
}
