// Only one writer per stream may write at a time (the ledger assumes it). Each holds a Postgres advisory lock
// on a reserved connection; others wait as standbys and take over when the holder's connection goes away.

import type { ReservedSql } from "postgres";
import { sleep } from "../domain/backoff.ts";
import { tryAdvisoryLock } from "../store/advisory-lock.ts";
import type { Sql } from "../infra/postgres.ts";
import type { Logger } from "../logger.ts";

export interface Leadership {
  conn: ReservedSql;
  release(): Promise<void>;
}

/** The lock of `name` on a connection of its own if no one holds it now; undefined (and the connection back) if taken. */
export function tryLeadership(sql: Sql, name: string, log: Logger): Promise<Leadership | undefined> {
  return tryAdvisoryLock(sql, name, (error) => log.warn("could not release the writer lock", { lock: name, error }));
}

export async function acquireLeadership(sql: Sql, name: string, signal: AbortSignal, log: Logger): Promise<Leadership | undefined> {
  let waiting = false;
  while (!signal.aborted) {
    const leadership = await tryLeadership(sql, name, log);
    if (leadership) {
      if (waiting) log.info("took over as the active worker", { lock: name });
      return leadership;
    }
    if (!waiting) log.info("another worker is active; waiting as a standby", { lock: name });
    waiting = true;
    await sleep(2_000, signal);
  }
  return undefined;
}
