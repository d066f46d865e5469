// Dashboard passwords: 10 to 200 characters, kept as argon2id (Bun.password, memory-hard). Checking a password
// of an address without one costs a hash too, so response times do not tell which addresses have accounts.

import { generateSecretToken } from "./secret-token.ts";

export const PASSWORD_MIN_CHARS = 10;
export const PASSWORD_MAX_CHARS = 200;

/** Why a new password is refused, or undefined. Counted in characters, not bytes. */
export function passwordProblem(password: string): string | undefined {
  const chars = [...password].length;
  if (chars < PASSWORD_MIN_CHARS || chars > PASSWORD_MAX_CHARS) return `must be ${PASSWORD_MIN_CHARS} to ${PASSWORD_MAX_CHARS} characters (got ${chars})`;
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  return await Bun.password.hash(password, { algorithm: "argon2id" });
}

let decoy: Promise<string> | undefined;

/** Whether `password` matches `stored`; with nothing stored, false after the same work as a real check. */
export async function passwordMatches(password: string, stored: string | null | undefined): Promise<boolean> {
  const matches = await Bun.password.verify(password, stored ?? (await (decoy ??= hashPassword(generateSecretToken()))));
  return matches && typeof stored === "string";
}
