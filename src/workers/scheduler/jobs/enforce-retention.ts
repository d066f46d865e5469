// Deletes, for each live project with a retention period, its events older than the period (and their per-day
// heatmap rows). Only that project's rows, only those past the cutoff; one mutation per table for every project
// (see src/domain/scheduler/retention-deletes.ts). A project whose cutoff cannot be worked out, or whose batch
// fails, is logged and listed, and the others are done all the same.

import { RETENTION_ROWS, retentionCutoff } from "../../../domain/scheduler/project-data.ts";
import { type RetentionStatement, type RetentionTerm, retentionStatements } from "../../../domain/scheduler/retention-deletes.ts";
import { projectsWithRetention } from "../../../store/project-lifecycle.ts";
import type { App } from "../../../app/app.ts";
import type { ScheduledJob } from "../scheduled-job.ts";
import { ProjectFailures } from "./project-failures.ts";

export const enforceRetention: ScheduledJob = {
  name: "enforce-retention",
  pattern: "0 0 2 * * *",
  summary: "delete events older than each project's retention period",
  async run(app) {
    const now = new Date();
    const projects = await projectsWithRetention(app.postgres());
    const failures = new ProjectFailures(app, "enforce-retention");
    const terms: RetentionTerm[] = [];
    for (const { projectId, retentionDays } of projects) {
      try {
        terms.push({ projectId, before: retentionCutoff(now, retentionDays) });
      } catch (error) {
        failures.add(projectId, error);
      }
    }
    let events = 0;
    for (const { table, where } of RETENTION_ROWS) {
      for (const statement of retentionStatements(table, where, terms, app.config.clickhouse.cluster)) {
        try {
          const rows = await deleteRows(app, table, statement);
          if (table === "events") events += rows;
        } catch (error) {
          if (statement.projectIds.length === 1) {
            failures.add(statement.projectIds[0]!, error);
            continue;
          }
          // The batch failed as a whole: each of its projects alone, so only the one at fault is listed.
          app.log.warn("a retention batch failed; retrying its projects one by one", { role: "scheduler", table, projects: statement.projectIds.length, error });
          for (const term of terms.filter((t) => statement.projectIds.includes(t.projectId))) {
            for (const single of retentionStatements(table, where, [term], app.config.clickhouse.cluster)) {
              try {
                const rows = await deleteRows(app, table, single);
                if (table === "events") events += rows;
              } catch (alone) {
                failures.add(term.projectId, alone);
              }
            }
          }
        }
      }
    }
    return failures.settle(`deleted ${events} event(s) past retention in ${projects.length} project(s) with a retention period`);
  },
};

/** Runs one statement's mutation (waiting for it) unless it has nothing to delete; how many rows it deleted. */
async function deleteRows(app: App, table: string, statement: RetentionStatement): Promise<number> {
  const client = app.clickhouse();
  const result = await client.query({ query: statement.count, query_params: statement.params, format: "JSONEachRow" });
  const counts = await result.json<{ project: string; n: string }>();
  const rows = counts.reduce((sum, { n }) => sum + Number(n), 0);
  if (rows === 0) return 0;
  await client.command({ query: statement.delete, query_params: statement.params, clickhouse_settings: { mutations_sync: "2" } });
  for (const { project, n } of counts) app.log.info("rows past retention deleted", { role: "scheduler", project_id: project, table, rows: Number(n) });
  return rows;
}
