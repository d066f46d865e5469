// One run of a scheduled job in its slot, exactly once across every scheduler: the run is claimed in Postgres
// (scheduler_runs) first, and only the scheduler whose claim went in runs the job. The claimer then takes the job's
// advisory lock for the length of the run, so no two runs of a job overlap (a run outlasting its period, or
// `pug scheduler run` beside the scheduled run); a slot whose job is still running elsewhere is recorded as
// skipped. The outcome goes into the ledger, the log (with the duration) and /metrics.

import { hostname } from "node:os";
import type { App } from "../../app/app.ts";
import { claimSlot, finishRun, slotRunner, tryJobLock } from "../../store/scheduler-runs.ts";

export interface ScheduledJob {
  name: string;
  /** Cron pattern with seconds, in UTC. */
  pattern: string;
  summary: string;
  /** Does the work; resolves with what it did, in a few words (kept in scheduler_runs.detail). */
  run(app: App): Promise<string>;
}

export type RunResult =
  | { outcome: "ok" | "failed"; detail: string; ms: number }
  /** Another scheduler claimed the slot (or this one did, earlier), or another run of the job is still going. */
  | { outcome: "skipped"; reason: string };

/** Names this process in scheduler_runs.runner. */
export const runnerName = (): string => `${hostname()}:${process.pid}`;

export async function runInSlot(app: App, job: ScheduledJob, slot: Date, runner = runnerName()): Promise<RunResult> {
  const sql = app.postgres();
  const fields = { role: "scheduler", job: job.name, slot: slot.toISOString() };
  if (!(await claimSlot(sql, job.name, slot, runner))) {
    app.metrics.schedulerRuns.inc({ job: job.name, outcome: "skipped" });
    const other = await slotRunner(sql, job.name, slot);
    app.log.debug("job skipped: slot claimed by another scheduler", { ...fields, runner: other });
    return { outcome: "skipped", reason: `already run by ${other ?? "another scheduler"}` };
  }
  let lock;
  try {
    lock = await tryJobLock(sql, job.name, (error) => app.log.warn("could not release the job lock", { ...fields, error }));
  } catch (error) {
    // The slot is claimed: record why it did not run rather than leave its row unfinished, then let the caller log it.
    await finishRun(sql, job.name, slot, "failed", `could not take the job lock: ${(error as Error).message}`).catch((recordError) =>
      app.log.warn("could not record the run as failed either", { ...fields, error: recordError }),
    );
    throw error;
  }
  if (!lock) {
    const reason = `another run of ${job.name} is still going`;
    app.metrics.schedulerRuns.inc({ job: job.name, outcome: "skipped" });
    await finishRun(sql, job.name, slot, "skipped", reason);
    app.log.warn("job skipped: another run is still going", fields);
    return { outcome: "skipped", reason };
  }
  try {
    return await runHoldingLock(app, job, slot, fields);
  } finally {
    await lock.release();
  }
}

async function runHoldingLock(app: App, job: ScheduledJob, slot: Date, fields: Record<string, string>): Promise<RunResult> {
  const started = performance.now();
  let outcome: "ok" | "failed";
  let detail: string;
  try {
    detail = await job.run(app);
    outcome = "ok";
  } catch (error) {
    // Recorded, logged and counted; the next slot tries again.
    detail = (error as Error).message ?? String(error);
    outcome = "failed";
    app.log.error("job failed", { ...fields, error });
  }
  const ms = Math.round(performance.now() - started);
  app.metrics.schedulerRuns.inc({ job: job.name, outcome });
  app.metrics.schedulerRunSeconds.observe({ job: job.name }, ms / 1000);
  await finishRun(app.postgres(), job.name, slot, outcome, detail);
  app.log.info("job run", { ...fields, outcome, ms, detail });
  return { outcome, detail, ms };
}
