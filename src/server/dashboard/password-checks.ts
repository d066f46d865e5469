// A cap on password checks running at once in this process. Each argon2id check holds 64 MiB for ~60 ms: a burst
// of sign-ins would otherwise take memory without bound. Past the cap a sign-in is refused at once (retry in a
// moment) rather than queued.

import { passwordMatches } from "../../domain/auth/password.ts";
import { Code, ConnectError } from "../connect-errors.ts";

export const CONCURRENT_PASSWORD_CHECKS = 4;

export type PasswordCheck = (password: string, stored: string | null | undefined) => Promise<boolean>;

/** passwordMatches, at most `max` at a time; beyond that the resource_exhausted refusal. */
export function cappedPasswordChecks(max: number, matches: PasswordCheck = passwordMatches): PasswordCheck {
  let running = 0;
  return async function checkPassword(password, stored) {
    if (running >= max) throw new ConnectError("too many sign-ins at once; retry in a moment", Code.ResourceExhausted, { "retry-after": "1" });
    running++;
    try {
      return await matches(password, stored);
    } finally {
      running--;
    }
  };
}

/** The one cap of this process. */
export const checkPassword = cappedPasswordChecks(CONCURRENT_PASSWORD_CHECKS);
