// Keeps `pug dev`'s child processes running: one that exits unexpectedly is logged and started again after an
// exponential backoff; one that keeps failing before its roles ever start (a config error, a port in use) makes
// the whole unit give up instead of looping forever. Stopping goes in tiers: the servers first (no new work comes
// in), then the workers (they finish what is queued and held), each tier within the grace period.

import { Counter, Gauge } from "prom-client";
import { type BackoffPolicy, backoffDelay, sleep } from "../domain/backoff.ts";
import type { DevProcess } from "../domain/dev-processes.ts";
import type { Logger } from "../logger.ts";
import type { ChildMessage } from "./child-messages.ts";
import { type ChildHandle, startChild } from "./child-process.ts";
import type { Metrics } from "./metrics.ts";

export interface ChildSupervisorOptions {
  command: string[];
  envFile: string | undefined;
  env?: Record<string, string>;
  log: Logger;
  metrics: Metrics;
  backoff: BackoffPolicy;
  /** Exits in a row before the child's roles start after which the unit gives up. */
  maxStartFailures?: number;
  /** A child that ran this long restarts after the shortest backoff again. */
  stableAfterMs?: number;
  onMessage(process: DevProcess, message: ChildMessage): void;
}

export interface ChildSupervisor {
  /** The children running now, by process name (a restarting one is absent). */
  running(): Map<string, ChildHandle>;
  /** Resolves with a reason when a child kept failing at start; the caller then stops the unit. */
  gaveUp: Promise<string>;
  /** Stops the children tier by tier, each within `graceMs`; true when every child exited in time. */
  stop(graceMs: number): Promise<boolean>;
}

export function superviseChildren(plan: DevProcess[], options: ChildSupervisorOptions): ChildSupervisor {
  const stopping = new AbortController();
  const running = new Map<string, ChildHandle>();
  const up = new Gauge({ name: "pug_dev_process_up", help: "1 while a child process of pug dev runs, 0 while it waits to restart", labelNames: ["process"], registers: [options.metrics.registry] });
  const restarts = new Counter({ name: "pug_dev_process_restarts_total", help: "Times a child process of pug dev exited unexpectedly and was started again", labelNames: ["process"], registers: [options.metrics.registry] });
  let giveUp: (reason: string) => void = () => {};
  const gaveUp = new Promise<string>((resolve) => (giveUp = resolve));
  const maxStartFailures = options.maxStartFailures ?? 3;

  async function keep(spec: DevProcess): Promise<void> {
    const log = options.log.child({ process: spec.name });
    let failures = 0;
    let startFailures = 0;
    while (!stopping.signal.aborted) {
      const started = Date.now();
      const child = startChild(spec, { command: options.command, envFile: options.envFile, env: options.env, log: options.log, onMessage: (message) => options.onMessage(spec, message) });
      running.set(spec.name, child);
      up.set({ process: spec.name }, 1);
      log.info("child started", { pid: child.pid, roles: spec.roles });
      const code = await child.exited;
      running.delete(spec.name);
      up.set({ process: spec.name }, 0);
      if (stopping.signal.aborted) break;
      startFailures = child.ready() ? 0 : startFailures + 1;
      if (startFailures >= maxStartFailures) {
        log.error("child keeps exiting before its roles start; giving up", { code, attempts: startFailures });
        giveUp(`${spec.name} exited ${startFailures} times in a row before its roles started (last exit code ${code})`);
        return;
      }
      failures = Date.now() - started > (options.stableAfterMs ?? 60_000) ? 1 : failures + 1;
      const delay = backoffDelay(failures, options.backoff);
      restarts.inc({ process: spec.name });
      log.error("child exited unexpectedly; restarting", { code, restart_in_ms: delay, failures });
      await sleep(delay, stopping.signal);
    }
  }

  const loops = plan.map((spec) => keep(spec));
  return {
    running: () => running,
    gaveUp,
    async stop(graceMs) {
      stopping.abort();
      let allInTime = true;
      for (const tier of [0, 1] as const) {
        const children = plan.filter((spec) => spec.stopTier === tier).flatMap((spec) => running.get(spec.name) ?? []);
        const inTime = await Promise.all(children.map((child) => child.stop(graceMs)));
        if (inTime.includes(false)) allInTime = false;
      }
      await Promise.all(loops);
      return allInTime;
    },
  };
}
