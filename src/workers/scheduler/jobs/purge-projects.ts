// Purges projects soft-deleted more than PUG_PROJECT_PURGE_GRACE_DAYS ago: their rows in every ClickHouse table,
// then their Postgres row, whose deletion cascades to keys, profiles, dashboards, usage and the rest. The row is
// deleted rather than kept as a tombstone: nothing of the project is left to leak, and the id no longer resolves
// anywhere. ClickHouse goes first, so an interrupted purge leaves the row, and the next run deletes again
// (finding nothing left in the tables already done) and then the row. A project that fails is logged and listed,
// and the others are purged all the same.

import { PROJECT_TABLES } from "../../../domain/scheduler/project-data.ts";
import { deleteProjectRow, projectsDueForPurge } from "../../../store/project-lifecycle.ts";
import type { ScheduledJob } from "../scheduled-job.ts";
import { ProjectFailures } from "./project-failures.ts";
import { deleteProjectRows } from "./project-rows.ts";

export const purgeProjects: ScheduledJob = {
  name: "purge-projects",
  pattern: "0 15 * * * *",
  summary: "delete the data of projects soft-deleted longer ago than the grace period",
  async run(app) {
    const sql = app.postgres();
    const target = { client: app.clickhouse(), cluster: app.config.clickhouse.cluster };
    const due = await projectsDueForPurge(sql, app.config.controlPlane.purgeGraceDays);
    const failures = new ProjectFailures(app, "purge-projects");
    const purged: string[] = [];
    for (const projectId of due) {
      try {
        const rows: Record<string, number> = {};
        for (const table of PROJECT_TABLES) rows[table] = await deleteProjectRows(target, table, projectId);
        await deleteProjectRow(sql, projectId);
        purged.push(projectId);
        app.log.info("project purged", { role: "scheduler", project_id: projectId, clickhouse_rows: rows });
      } catch (error) {
        failures.add(projectId, error);
      }
    }
    return failures.settle(due.length === 0 ? "no project due" : `purged ${purged.length} project(s): ${purged.join(", ")}`);
  },
};
