// One lock for every migrate run, whatever store it migrates: a Postgres advisory lock, held on one reserved
// connection for the whole run, so two `pug migrate` started at once run one after the other.

import type { Sql } from "../infra/postgres.ts";

export async function withMigrationLock<T>(sql: Sql, onWait: () => void, work: () => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    const [row] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(hashtext('pug migrate')) AS locked`;
    if (!row?.locked) {
      onWait();
      await conn`SELECT pg_advisory_lock(hashtext('pug migrate'))`;
    }
    try {
      return await work();
    } finally {
      await conn`SELECT pg_advisory_unlock(hashtext('pug migrate'))`;
    }
  } finally {
    conn.release();
  }
}
