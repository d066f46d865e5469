// Events per project and UTC day (usage_days), as the scheduler's rollup writes them; read per org. Projects
// deleted since still count for the days they had events (until the purge removes them).

import type { Sql } from "../infra/postgres.ts";

export interface UsageDayRow {
  /** `YYYY-MM-DD`. */
  day: string;
  projectId: string;
  eventCount: bigint;
}

export interface OrgUsage {
  /** False while the rollup has never written a row for any of the org's projects. */
  computed: boolean;
  /** When the rollup last wrote a row for the org. */
  computedAt: Date | undefined;
  /** Days in [firstDay, endDay), by day then project. */
  days: UsageDayRow[];
}

export async function orgUsage(sql: Sql, orgId: string, firstDay: string, endDay: string): Promise<OrgUsage> {
  const [latest] = await sql<{ computed_at: Date | null }[]>`
    SELECT max(u.computed_at) AS computed_at FROM usage_days u JOIN projects p ON p.id = u.project_id WHERE p.org_id = ${orgId}`;
  const rows = await sql<{ day: string; project_id: string; event_count: string }[]>`
    SELECT u.day::text AS day, u.project_id, u.event_count::text AS event_count
    FROM usage_days u JOIN projects p ON p.id = u.project_id
    WHERE p.org_id = ${orgId} AND u.day >= ${firstDay}::date AND u.day < ${endDay}::date
    ORDER BY u.day, u.project_id`;
  const computedAt = latest?.computed_at ?? undefined;
  return {
    computed: computedAt !== undefined,
    computedAt,
    days: rows.map((row) => ({ day: row.day, projectId: row.project_id, eventCount: BigInt(row.event_count) })),
  };
}
