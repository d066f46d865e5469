// The scheduler's ledger: one row per job and scheduled time. Claiming inserts the row; the scheduler whose insert
// went in runs the job, every other one sees the conflict and skips. A run that died before finishing keeps its
// row without finished_at: that slot is not run again, the next one is.

import type { Sql } from "../infra/postgres.ts";

/** True when this runner claimed the slot and must run the job; false when another one already has. */
export async function claimSlot(sql: Sql, job: string, slot: Date, runner: string): Promise<boolean> {
  const claimed = await sql`
    INSERT INTO scheduler_runs (job, slot, runner) VALUES (${job}, ${slot}, ${runner})
    ON CONFLICT (job, slot) DO NOTHING RETURNING 1`;
  return claimed.length === 1;
}

export async function finishRun(sql: Sql, job: string, slot: Date, outcome: "ok" | "failed", detail: string): Promise<void> {
  await sql`
    UPDATE scheduler_runs SET finished_at = now(), outcome = ${outcome}, detail = ${detail.slice(0, 2000)}
    WHERE job = ${job} AND slot = ${slot}`;
}

export async function slotRunner(sql: Sql, job: string, slot: Date): Promise<string | undefined> {
  const [row] = await sql<{ runner: string }[]>`SELECT runner FROM scheduler_runs WHERE job = ${job} AND slot = ${slot}`;
  return row?.runner;
}
