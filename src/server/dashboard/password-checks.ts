// A cap on argon2id work running at once in this process: password checks at sign-in and hashes of a new
// password share it. Each holds 64 MiB for ~60 ms: a burst would otherwise take memory without bound. Past the
// cap the call is refused at once (retry in a moment) rather than queued.

import { hashPassword, passwordMatches } from "../../domain/auth/password.ts";
import { concurrencyCap } from "./concurrency-cap.ts";

export const CONCURRENT_PASSWORD_CHECKS = 4;

export type PasswordCheck = (password: string, stored: string | null | undefined) => Promise<boolean>;

export interface PasswordWork {
  /** passwordMatches, under the cap. */
  check: PasswordCheck;
  /** hashPassword, under the same cap. */
  hash(password: string): Promise<string>;
}

/** Checks and hashes, at most `max` of them at a time together. */
export function cappedPasswordWork(max: number, work: { check: PasswordCheck; hash(password: string): Promise<string> } = { check: passwordMatches, hash: hashPassword }): PasswordWork {
  const cap = concurrencyCap(max);
  return {
    check: (password, stored) => cap("too many sign-ins at once", () => work.check(password, stored)),
    hash: (password) => cap("too many password changes at once", () => work.hash(password)),
  };
}

/** The one cap of this process. */
export const passwordWork = cappedPasswordWork(CONCURRENT_PASSWORD_CHECKS);
