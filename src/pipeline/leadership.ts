// Only one writer per stream may write at a time (the ledger assumes it). Each holds a Postgres advisory lock
// on a reserved connection; others wait as standbys and take over when the holder's connection goes away.

import type { ReservedSql } from "postgres";
import { sleep } from "../domain/backoff.ts";
import type { Sql } from "../infra/postgres.ts";
import type { Logger } from "../logger.ts";

export interface Leadership {
  conn: ReservedSql;
  release(): Promise<void>;
}

/** The lock of `name` on a connection of its own if no one holds it now; undefined (and the connection back) if taken. */
export async function tryLeadership(sql: Sql, name: string, log: Logger): Promise<Leadership | undefined> {
  const conn = await sql.reserve();
  try {
    const [row] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(hashtext(${name})) AS locked`;
    if (!row?.locked) {
      conn.release();
      return undefined;
    }
  } catch (error) {
    conn.release();
    throw error;
  }
  return {
    conn,
    async release() {
      // Usually the connection is what failed, and the lock ended with its session; say so if it did not.
      await conn`SELECT pg_advisory_unlock(hashtext(${name}))`.catch((error) => log.warn("could not release the writer lock", { lock: name, error }));
      conn.release();
    },
  };
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
