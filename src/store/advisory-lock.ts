// A Postgres advisory lock held on a connection of its own for as long as some work runs: taken without waiting,
// released at the end, and ended with its session if the holder dies.

import type { ReservedSql } from "postgres";
import type { Sql } from "../infra/postgres.ts";

export interface AdvisoryLock {
  /** The connection holding the lock: work done on it ends with the lock if the session dies. */
  conn: ReservedSql;
  release(): Promise<void>;
}

/**
 * Takes the lock `key` names (hashtext), or answers undefined when someone else holds it. release() unlocks and
 * gives the connection back; a failed unlock goes to `onUnlockError` (usually the connection failed, and the lock
 * ended with it).
 */
export async function tryAdvisoryLock(sql: Sql, key: string, onUnlockError: (error: unknown) => void): Promise<AdvisoryLock | undefined> {
  const conn: ReservedSql = await sql.reserve();
  try {
    const [row] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(hashtext(${key})) AS locked`;
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
      // Usually the connection is what failed, and the lock ended with its session. (Ending a live session here
      // instead is no remedy: postgres.js cannot take a terminated reserved connection back into its pool.)
      await conn`SELECT pg_advisory_unlock(hashtext(${key}))`.catch(onUnlockError);
      conn.release();
    },
  };
}
