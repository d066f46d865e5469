// API keys: `pub_` keys sit in web pages and may only send events; `prv_` keys are secrets for servers. Both are
// 128 random bits in hex, and are looked up by their SHA-256.

export type ApiKeyKind = "public" | "private";

const prefixes: Record<ApiKeyKind, string> = { public: "pub_", private: "prv_" };
const shape = /^(pub|prv)_[0-9a-f]{32}$/;

export function generateApiKey(kind: ApiKeyKind): string {
  return prefixes[kind] + Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}

/** The kind a well-formed key announces, or undefined for anything that cannot be one of our keys. */
export function apiKeyKind(key: string): ApiKeyKind | undefined {
  if (!shape.test(key)) return undefined;
  return key.startsWith("pub_") ? "public" : "private";
}

export function apiKeyHash(key: string): Buffer {
  return new Bun.CryptoHasher("sha256").update(key).digest() as Buffer;
}

/** What a list may show of a key: enough to recognise it, never enough to use it. */
export function apiKeyHint(key: string): string {
  return `${key.slice(0, 8)}…${key.slice(-4)}`;
}
