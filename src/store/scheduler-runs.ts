// The scheduler's ledger: one row per job and scheduled time. Claiming inserts the row; the scheduler whose insert
// went in runs the job, every other one sees the conflict and skips. A run that died before finishing keeps its
// row without finished_at: that slot is not run again, the next one is.
//
// A slot claim keeps a slot from running twice, not two slots of one job from running at once (a run outlasting
// its period, or `pug scheduler run` beside the scheduled run): for that a run also holds its job's advisory lock.

import type { Sql } from "../infra/postgres.ts";
import { type AdvisoryLock, tryAdvisoryLock } from "./advisory-lock.ts";

export type RunOutcome = "ok" | "failed" | "skipped";

/** True when this runner claimed the slot and must run the job; false when another one already has. */
export async function claimSlot(sql: Sql, job: string, slot: Date, runner: string): Promise<boolean> {
  const claimed = await sql`
    INSERT INTO scheduler_runs (job, slot, runner) VALUES (${job}, ${slot}, ${runner})
    ON CONFLICT (job, slot) DO NOTHING RETURNING 1`;
  return claimed.length === 1;
}

export async function finishRun(sql: Sql, job: string, slot: Date, outcome: RunOutcome, detail: string): Promise<void> {
  await sql`
    UPDATE scheduler_runs SET finished_at = now(), outcome = ${outcome}, detail = ${detail.slice(0, 2000)}
    WHERE job = ${job} AND slot = ${slot}`;
}

export async function slotRunner(sql: Sql, job: string, slot: Date): Promise<string | undefined> {
  const [row] = await sql<{ runner: string }[]>`SELECT runner FROM scheduler_runs WHERE job = ${job} AND slot = ${slot}`;
  return row?.runner;
}

/** Whether a run of the job has ever finished ok (one older than the ledger's 30 days may have been pruned). */
export async function hasSucceeded(sql: Sql, job: string): Promise<boolean> {
  const [row] = await sql<{ found: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM scheduler_runs WHERE job = ${job} AND outcome = 'ok') AS found`;
  return row?.found === true;
}

/**
 * Takes the job's advisory lock on a connection of its own, held until release(); undefined when another run of
 * the job holds it.
 */
export async function tryJobLock(sql: Sql, job: string, onUnlockError: (error: unknown) => void): Promise<AdvisoryLock | undefined> {
  return await tryAdvisoryLock(sql, `pug job ${job}`, onUnlockError);
}
