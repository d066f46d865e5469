// Events per project and UTC day (usage_days): Postgres' copy of ClickHouse's usage rollup, written by the
// scheduler and read per org by the usage service. Projects deleted since still count for the days they had
// events (until the purge removes them).

import type { Sql } from "../infra/postgres.ts";

export interface UsageDayRow {
  /** `YYYY-MM-DD`. */
  day: string;
  projectId: string;
  eventCount: bigint;
}

export interface OrgUsage {
  /** False until the rollup has run once (or written a row for one of the org's projects). */
  computed: boolean;
  /** When the rollup last ran, or last wrote a row for the org. */
  computedAt: Date | undefined;
  /** Days in [firstDay, endDay), by day then project. */
  days: UsageDayRow[];
}

export async function orgUsage(sql: Sql, orgId: string, firstDay: string, endDay: string): Promise<OrgUsage> {
  // A rollup that ran and found no events for the org has computed its usage too (0): its last successful run
  // counts as much as the org's own rows.
  const [latest] = await sql<{ computed_at: Date | null }[]>`
    SELECT greatest(
      (SELECT max(u.computed_at) FROM usage_days u JOIN projects p ON p.id = u.project_id WHERE p.org_id = ${orgId}),
      (SELECT max(finished_at) FROM scheduler_runs WHERE job = 'usage-rollup' AND outcome = 'ok')
    ) AS computed_at`;
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

export interface UsageDay {
  projectId: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  events: number;
}

/** Rows written per statement: a first rollup copies every day of every project. */
const UPSERT_BATCH = 5_000;

/** Writes each day's count (replacing an older one); days of projects no longer in Postgres are left out. */
export async function upsertUsageDays(sql: Sql, days: UsageDay[]): Promise<number> {
  let written = 0;
  for (let start = 0; start < days.length; start += UPSERT_BATCH) {
    const batch = days.slice(start, start + UPSERT_BATCH);
    const result = await sql`
      INSERT INTO usage_days (project_id, day, event_count, computed_at)
      SELECT u.project_id, u.day, u.event_count, now()
      FROM unnest(${batch.map((d) => d.projectId)}::uuid[], ${batch.map((d) => d.day)}::date[], ${batch.map((d) => d.events)}::bigint[])
        AS u (project_id, day, event_count)
      WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = u.project_id)
      ON CONFLICT (project_id, day) DO UPDATE SET event_count = excluded.event_count, computed_at = excluded.computed_at`;
    written += result.count;
  }
  return written;
}
