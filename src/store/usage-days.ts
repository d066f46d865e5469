// Postgres' copy of ClickHouse's usage rollup, read by the usage service.

import type { Sql } from "../infra/postgres.ts";

export interface UsageDay {
  projectId: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  events: number;
}

/** Writes each day's count (replacing an older one); days of projects no longer in Postgres are left out. */
export async function upsertUsageDays(sql: Sql, days: UsageDay[]): Promise<number> {
  if (days.length === 0) return 0;
  const written = await sql`
    INSERT INTO usage_days (project_id, day, event_count, computed_at)
    SELECT u.project_id, u.day, u.event_count, now()
    FROM unnest(${days.map((d) => d.projectId)}::uuid[], ${days.map((d) => d.day)}::date[], ${days.map((d) => d.events)}::bigint[])
      AS u (project_id, day, event_count)
    WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = u.project_id)
    ON CONFLICT (project_id, day) DO UPDATE SET event_count = excluded.event_count, computed_at = excluded.computed_at`;
  return written.count;
}
