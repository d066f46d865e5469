// One-time secrets handed to a person (sign-in links, invitation links, refresh tokens): 256 random bits as 64
// hex characters, kept only as their SHA-256.

const SHAPE = /^[0-9a-f]{64}$/;

export function generateSecretToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

/** Whether `text` can be one of our tokens at all (checked before any lookup). */
export function isSecretToken(text: string): boolean {
  return SHAPE.test(text);
}

export function secretTokenHash(token: string): Buffer {
  return new Bun.CryptoHasher("sha256").update(token).digest() as Buffer;
}

/** The dashboard page that redeems a sign-in or invitation token. */
export function signInLink(dashboardUrl: string, token: string): string {
  return `${dashboardUrl}/magic-link?token=${token}`;
}
