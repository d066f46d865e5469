// Copies events accepted per project and day from ClickHouse's usage_daily (kept by a view on events) into
// Postgres' usage_days, so the usage service reads Postgres only: every day on the first run (usage_daily was
// backfilled with all history when it was created), the last weeks on every later one (older days no longer
// change). Days of projects purged meanwhile are left out.

import { USAGE_ROLLUP_DAYS, usageRollupQuery } from "../../../domain/scheduler/project-data.ts";
import { hasSucceeded } from "../../../store/scheduler-runs.ts";
import { upsertUsageDays } from "../../../store/usage-days.ts";
import type { ScheduledJob } from "../scheduled-job.ts";

export const usageRollup: ScheduledJob = {
  name: "usage-rollup",
  pattern: "30 */10 * * * *",
  summary: "copy events per project and day into Postgres (usage): all days on the first run, then the last weeks",
  async run(app) {
    const sql = app.postgres();
    const days = (await hasSucceeded(sql, "usage-rollup")) ? USAGE_ROLLUP_DAYS : "all";
    const result = await app.clickhouse().query({ ...usageRollupQuery(days), format: "JSONEachRow" });
    const rows = await result.json<{ project: string; usage_day: string; event_count: string }>();
    const written = await upsertUsageDays(sql, rows.map((row) => ({ projectId: row.project, day: row.usage_day, events: Number(row.event_count) })));
    const span = days === "all" ? "all days (first run)" : `the last ${days} days`;
    return `${written} project-day(s) written of ${rows.length} in ${span}`;
  },
};
