// Deletes, for each live project with a retention period, its events older than the period (and their per-day
// heatmap rows). Only that project's rows, only those past the cutoff.

import { RETENTION_ROWS, retentionCutoff } from "../../../domain/scheduler/project-data.ts";
import { projectsWithRetention } from "../../../store/project-lifecycle.ts";
import type { ScheduledJob } from "../scheduled-job.ts";
import { deleteProjectRows } from "./project-rows.ts";

export const enforceRetention: ScheduledJob = {
  name: "enforce-retention",
  pattern: "0 0 2 * * *",
  summary: "delete events older than each project's retention period",
  async run(app) {
    const target = { client: app.clickhouse(), cluster: app.config.clickhouse.cluster };
    const projects = await projectsWithRetention(app.postgres());
    let events = 0;
    for (const { projectId, retentionDays } of projects) {
      const before = retentionCutoff(new Date(), retentionDays);
      for (const { table, where } of RETENTION_ROWS) {
        const rows = await deleteProjectRows(target, table, projectId, where, { before });
        if (table === "events") events += rows;
        if (rows > 0) app.log.info("rows past retention deleted", { role: "scheduler", project_id: projectId, table, rows, before });
      }
    }
    return `deleted ${events} event(s) past retention in ${projects.length} project(s) with a retention period`;
  },
};
