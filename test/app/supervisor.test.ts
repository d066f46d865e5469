// The supervisor with plain roles: no servers involved, only timing and state.

import { describe, expect, test } from "bun:test";
import { createMetrics } from "../../src/app/metrics.ts";
import { type Role, supervise } from "../../src/app/supervisor.ts";
import { backoffDelay } from "../../src/domain/backoff.ts";
import { createLogger } from "../../src/logger.ts";

const quiet = createLogger({ write: () => {} });

describe("backoffDelay", () => {
  test("doubles per attempt between half and the whole ceiling, and stops at the cap", () => {
    const policy = { baseMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 10].map((a) => backoffDelay(a, policy, () => 0))).toEqual([50, 100, 200, 500]);
  });
});

describe("supervise", () => {
  test("a crashing role is restarted with growing delays and counted", async () => {
    const metrics = createMetrics();
    const starts: number[] = [];
    const flaky: Role = {
      name: "flaky",
      async run(signal) {
        starts.push(Date.now());
        if (starts.length <= 3) throw new Error(`crash ${starts.length}`);
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      },
    };
    const supervisor = supervise([flaky], { log: quiet, metrics, backoff: { baseMs: 40, maxMs: 1_000 } });
    while (starts.length < 4) await Bun.sleep(10);
    expect(supervisor.states()).toEqual({ flaky: "running" });
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(20);
    expect(gaps[2]!).toBeGreaterThanOrEqual(80);
    expect(await metrics.text()).toContain('pug_role_restarts_total{role="flaky"} 3');
    expect(await supervisor.stop(1_000)).toBe(true);
    expect(supervisor.states()).toEqual({ flaky: "stopped" });
  });

  test("a role that returns without being asked counts as a crash", async () => {
    const metrics = createMetrics();
    let runs = 0;
    const quitter: Role = {
      name: "quitter",
      async run(signal) {
        runs++;
        if (runs === 1) return;
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      },
    };
    const supervisor = supervise([quitter], { log: quiet, metrics, backoff: { baseMs: 10, maxMs: 10 } });
    while (runs < 2) await Bun.sleep(5);
    expect(await metrics.text()).toContain('pug_role_restarts_total{role="quitter"} 1');
    await supervisor.stop(1_000);
  });

  test("stop waits for roles to finish their work, but not past the grace period", async () => {
    const finished: string[] = [];
    const slow = (name: string, ms: number): Role => ({
      name,
      async run(signal) {
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        await Bun.sleep(ms);
        finished.push(name);
      },
    });
    const prompt = supervise([slow("a", 50), slow("b", 80)], { log: quiet, metrics: createMetrics(), backoff: { baseMs: 10, maxMs: 10 } });
    expect(await prompt.stop(2_000)).toBe(true);
    expect(finished.sort()).toEqual(["a", "b"]);

    const stuck = supervise([slow("c", 5_000)], { log: quiet, metrics: createMetrics(), backoff: { baseMs: 10, maxMs: 10 } });
    const started = Date.now();
    expect(await stuck.stop(100)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
