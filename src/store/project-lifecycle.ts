// Projects as the scheduler sees them: soft-deleted ones due for purging, live ones with a retention period.

import type { Sql } from "../infra/postgres.ts";

/** Projects deleted more than `graceDays` days ago (the purge deletes their rows, so none is listed twice). */
export async function projectsDueForPurge(sql: Sql, graceDays: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM projects
    WHERE deleted_at < now() - make_interval(days => ${graceDays})
    ORDER BY deleted_at`;
  return rows.map((row) => row.id);
}

/** Deletes the project's row; its keys, profiles, dashboards, usage and the rest go with it (ON DELETE CASCADE). */
export async function deleteProjectRow(sql: Sql, projectId: string): Promise<boolean> {
  const deleted = await sql`DELETE FROM projects WHERE id = ${projectId} AND deleted_at IS NOT NULL`;
  return deleted.count === 1;
}

export async function projectsWithRetention(sql: Sql): Promise<{ projectId: string; retentionDays: number }[]> {
  const rows = await sql<{ id: string; retention_days: number }[]>`
    SELECT id, retention_days FROM projects WHERE deleted_at IS NULL AND retention_days > 0 ORDER BY id`;
  return rows.map((row) => ({ projectId: row.id, retentionDays: row.retention_days }));
}
