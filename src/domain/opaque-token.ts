// The opaque cursors of paged reads: a JSON array, base64url-encoded. Decoding refuses anything else (not
// base64url, too long, not a JSON array of the expected length), so a made-up token never reaches SQL; each caller
// then checks the array's parts.

export function encodeToken(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

/** The array a token holds, or undefined when it cannot be one this server issued. */
export function decodeToken(token: string, length: number, maxLength: number): unknown[] | undefined {
  if (token.length === 0 || token.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return undefined; // not JSON: not ours
  }
  return Array.isArray(decoded) && decoded.length === length ? decoded : undefined;
}
