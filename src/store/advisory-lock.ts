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
      try {
        await conn`SELECT pg_advisory_unlock(hashtext(${key}))`;
      } catch (error) {
        onUnlockError(error);
        // The session may still be alive and hold the lock: going back to the pool it would keep it from everyone.
        // Ending the session ends the lock; a session already gone (the usual cause) has nothing left to end.
        await conn`SELECT pg_terminate_backend(pg_backend_pid())`.catch(() => undefined);
      }
      conn.release();
    },
  };
}
