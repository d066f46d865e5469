// Scheduled slots on real services (a scratch Postgres database, ClickHouse database and Redis prefix): each slot
// of a job is run once however many schedulers race for it, and a run still going keeps the next ones out.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type { App } from "../../src/app/app.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { tryJobLock } from "../../src/store/scheduler-runs.ts";
import { runInSlot, type ScheduledJob } from "../../src/workers/scheduler/scheduled-job.ts";
import { schedulerRole } from "../../src/workers/scheduler/scheduler-role.ts";
import { expectSuccess } from "../support/pug-process.ts";
import { schedulerRun as runScheduler, schedulerTestApp } from "../support/scheduler-app.ts";
import type { ScratchEnv } from "../support/scratch.ts";

let env: ScratchEnv;
let app: App;
let sql: Sql;
/** What the scheduler logged, parsed. */
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  ({ env, app, sql } = await schedulerTestApp("scheduler_slots", logs));
});

afterAll(async () => {
  await app?.close();
});

const schedulerRun = (args: string[]) => runScheduler(env, args);

describe("a slot is run once", () => {
  test("two schedulers racing for the same slot: the job body runs once, the other is skipped; the ledger says who and how", async () => {
    let bodies = 0;
    const counting: ScheduledJob = {
      name: "test-counting",
      pattern: "0 */5 * * * *",
      summary: "counts its runs",
      async run() {
        bodies++;
        await Bun.sleep(200);
        return "counted";
      },
    };
    const slot = new Date("2026-01-01T10:05:00Z");
    const results = await Promise.all([runInSlot(app, counting, slot, "scheduler-a"), runInSlot(app, counting, slot, "scheduler-b")]);
    expect(bodies).toBe(1);
    expect(results.map((r) => r.outcome).sort()).toEqual(["ok", "skipped"]);
    const [row, ...others] = await sql`SELECT runner, outcome, detail, finished_at FROM scheduler_runs WHERE job = 'test-counting'`;
    expect(others).toEqual([]);
    expect(["scheduler-a", "scheduler-b"]).toContain(row!.runner);
    expect(row).toMatchObject({ outcome: "ok", detail: "counted" });
    expect(row!.finished_at).toBeInstanceOf(Date);

    // A later slot runs again; a failing body is recorded as failed with its reason.
    const failing: ScheduledJob = { ...counting, run: async () => { throw new Error("store unreachable"); } };
    expect(await runInSlot(app, failing, new Date("2026-01-01T10:10:00Z"), "scheduler-a")).toMatchObject({ outcome: "failed", detail: "store unreachable" });
    expect(logs.filter((l) => l.job === "test-counting").map(({ msg, outcome, detail, slot }) => ({ msg, outcome, detail, slot }))).toEqual([
      { msg: "job run", outcome: "ok", detail: "counted", slot: "2026-01-01T10:05:00.000Z" },
      { msg: "job failed", outcome: undefined, detail: undefined, slot: "2026-01-01T10:10:00.000Z" },
      { msg: "job run", outcome: "failed", detail: "store unreachable", slot: "2026-01-01T10:10:00.000Z" },
    ]);
    expect(logs.find((l) => l.msg === "job run" && l.job === "test-counting")!.ms).toBeGreaterThanOrEqual(200);
    const metrics = await app.metrics.text();
    expect(metrics).toContain('pug_scheduler_runs_total{job="test-counting",outcome="ok"} 1');
    expect(metrics).toContain('pug_scheduler_runs_total{job="test-counting",outcome="skipped"} 1');
    expect(metrics).toContain('pug_scheduler_runs_total{job="test-counting",outcome="failed"} 1');
    expect(metrics).toContain('pug_scheduler_run_seconds_count{job="test-counting"} 2');
  });

  test("two scheduler roles on an every-second cron: each second's slot is run by one of them", async () => {
    const slots: string[] = [];
    const everySecond: ScheduledJob = {
      name: "test-every-second",
      pattern: "* * * * * *",
      summary: "notes its slot",
      async run() {
        slots.push("ran");
        return "noted";
      },
    };
    const stop = new AbortController();
    const roles = [schedulerRole(app, [everySecond]), schedulerRole(app, [everySecond])].map((role) => role.run(stop.signal));
    await Bun.sleep(3_200);
    stop.abort();
    await Promise.all(roles);
    const ledger = await sql<{ slot: Date; outcome: string; detail: string }[]>`SELECT slot, outcome, detail FROM scheduler_runs WHERE job = 'test-every-second' ORDER BY slot`;
    expect(ledger.length).toBeGreaterThanOrEqual(3);
    // On a loaded machine a slot can come while the other role still holds the job's lock for the one before:
    // it is recorded as skipped and not run. Every slot that ran ran once.
    const ran = ledger.filter((row) => row.outcome === "ok");
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(slots.length).toBe(ran.length);
    for (const row of ledger.filter((row) => row.outcome !== "ok")) expect([row.outcome, row.detail]).toEqual(["skipped", "another run of test-every-second is still going"]);
    for (const { slot } of ledger) expect(slot.getMilliseconds()).toBe(0);
  });

  test("two `pug scheduler run` processes given the same slot: one runs, the other says it was skipped", async () => {
    const slot = "2026-02-01T10:05:00.000Z";
    const results = await Promise.all([schedulerRun(["expire-tokens", "--slot", slot]), schedulerRun(["expire-tokens", "--slot", slot])]);
    for (const result of results) expect(result.code).toBe(0);
    const lines = results.map((r) => r.stdout.trim()).sort();
    expect(lines[0]).toMatch(new RegExp(`^expire-tokens ${slot}: ok in \\d+ ms: deleted \\d+ magic link`));
    expect(lines[1]).toMatch(new RegExp(`^expire-tokens ${slot}: skipped \\(already run by .+:\\d+\\)$`));
    const rows = await sql`SELECT outcome FROM scheduler_runs WHERE job = 'expire-tokens' AND slot = ${new Date(slot)}`;
    expect(rows.map((r) => r.outcome)).toEqual(["ok"]);
  });

  test("a run of a job still going when its next slot comes: that slot is skipped and recorded so; later slots run", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let bodies = 0;
    const slow: ScheduledJob = {
      name: "test-slow",
      pattern: "0 * * * * *",
      summary: "outlasts its period",
      async run() {
        bodies++;
        await gate;
        return "slow done";
      },
    };
    const first = runInSlot(app, slow, new Date("2026-01-01T10:00:00Z"), "scheduler-a");
    while (bodies === 0) await Bun.sleep(10);
    // Were the second slot to run the body too, it would wait on the gate: give it two seconds, then open the gate.
    const second = runInSlot(app, slow, new Date("2026-01-01T10:01:00Z"), "scheduler-b");
    const settled = await Promise.race([second, Bun.sleep(2_000).then(() => "still running")]).finally(release);
    expect(settled).toEqual({ outcome: "skipped", reason: "another run of test-slow is still going" });
    expect(await first).toMatchObject({ outcome: "ok", detail: "slow done" });
    expect(await runInSlot(app, slow, new Date("2026-01-01T10:02:00Z"), "scheduler-b")).toMatchObject({ outcome: "ok" });
    expect(bodies).toBe(2);
    const ledger = await sql`SELECT to_char(slot AT TIME ZONE 'UTC', 'HH24:MI') AS slot, runner, outcome, detail FROM scheduler_runs WHERE job = 'test-slow' ORDER BY slot`;
    expect([...ledger]).toEqual([
      { slot: "10:00", runner: "scheduler-a", outcome: "ok", detail: "slow done" },
      { slot: "10:01", runner: "scheduler-b", outcome: "skipped", detail: "another run of test-slow is still going" },
      { slot: "10:02", runner: "scheduler-b", outcome: "ok", detail: "slow done" },
    ]);
    expect(await app.metrics.text()).toContain('pug_scheduler_runs_total{job="test-slow",outcome="skipped"} 1');
  });

  test("`pug scheduler run <job>` without --slot while a run of the job is going elsewhere: skipped, the job not run", async () => {
    await sql`INSERT INTO magic_links (token_sha256, email, expires_at) VALUES (${randomBytes(32)}, 'overlap@example.test', now() - interval '1 minute')`;
    const lock = (await tryJobLock(sql, "expire-tokens", (error) => { throw error; }))!;
    expect(lock).toBeDefined();
    try {
      const result = expectSuccess(await schedulerRun(["expire-tokens"]), "pug scheduler run expire-tokens");
      expect(result.stdout.trim().split("\n").at(-1)).toMatch(/^expire-tokens \S+: skipped \(another run of expire-tokens is still going\)$/);
      expect((await sql`SELECT count(*)::int AS n FROM magic_links WHERE email = 'overlap@example.test'`)[0]!.n).toBe(1);
    } finally {
      await lock.release();
    }
    expect((await schedulerRun(["expire-tokens"])).stdout).toMatch(/: ok in \d+ ms: deleted [1-9]\d* magic link/);
    expect((await sql`SELECT count(*)::int AS n FROM magic_links WHERE email = 'overlap@example.test'`)[0]!.n).toBe(0);
  });

  test("an unknown job is a usage error listing the jobs", async () => {
    const result = await schedulerRun(["tidy-up"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown job 'tidy-up' (jobs: expire-tokens, usage-rollup, purge-projects, enforce-retention, rotate-cookieless-salt)");
  });
});
