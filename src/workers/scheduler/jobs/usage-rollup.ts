// Copies events accepted per project and day from ClickHouse's usage_daily (kept by a view on events) into
// Postgres' usage_days for the last weeks, so the usage service reads Postgres only. Days of projects purged
// meanwhile are left out.

import { USAGE_ROLLUP_DAYS, USAGE_ROLLUP_QUERY } from "../../../domain/scheduler/project-data.ts";
import { upsertUsageDays } from "../../../store/usage-days.ts";
import type { ScheduledJob } from "../scheduled-job.ts";

export const usageRollup: ScheduledJob = {
  name: "usage-rollup",
  pattern: "30 */10 * * * *",
  summary: "copy events per project and day of the last weeks into Postgres (usage)",
  async run(app) {
    const result = await app.clickhouse().query({ query: USAGE_ROLLUP_QUERY, query_params: { days: USAGE_ROLLUP_DAYS }, format: "JSONEachRow" });
    const rows = await result.json<{ project: string; usage_day: string; event_count: string }>();
    const written = await upsertUsageDays(app.postgres(), rows.map((row) => ({ projectId: row.project, day: row.usage_day, events: Number(row.event_count) })));
    return `${written} project-day(s) written of ${rows.length} in the last ${USAGE_ROLLUP_DAYS} days`;
  },
};
