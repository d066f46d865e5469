// Runs roles as loops: a role that crashes is logged and started again after an exponential backoff; on stop
// every role is asked to finish (stop taking work, finish what it holds) within a grace period.

import { type BackoffPolicy, backoffDelay, sleep } from "../domain/backoff.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "./metrics.ts";

export interface Role {
  name: string;
  /**
   * Runs until `signal` aborts, then stops taking work, finishes what it holds, and returns.
   * Throwing, or returning before the abort, counts as a crash.
   */
  run(signal: AbortSignal): Promise<void>;
}

export type RoleState = "starting" | "running" | "restarting" | "stopped";

export interface Supervisor {
  states(): Record<string, RoleState>;
  /** Aborts every role and waits up to `graceMs` for them; true when all stopped in time. */
  stop(graceMs: number): Promise<boolean>;
}

export interface SupervisorOptions {
  log: Logger;
  metrics: Metrics;
  backoff: BackoffPolicy;
  /** A role that ran this long before crashing restarts after the shortest backoff again. */
  stableAfterMs?: number;
}

export function supervise(roles: Role[], options: SupervisorOptions): Supervisor {
  const controller = new AbortController();
  const states: Record<string, RoleState> = {};
  const loops = roles.map((role) => loop(role));

  async function loop(role: Role): Promise<void> {
    const log = options.log.child({ role: role.name });
    let failures = 0;
    while (!controller.signal.aborted) {
      states[role.name] = "running";
      options.metrics.roleUp.set({ role: role.name }, 1);
      const started = Date.now();
      try {
        await role.run(controller.signal);
        if (controller.signal.aborted) break;
        throw new Error("the role returned without being asked to stop");
      } catch (error) {
        if (controller.signal.aborted) {
          log.error("role failed while stopping", { error });
          break;
        }
        failures = Date.now() - started > (options.stableAfterMs ?? 60_000) ? 1 : failures + 1;
        const delay = backoffDelay(failures, options.backoff);
        states[role.name] = "restarting";
        options.metrics.roleUp.set({ role: role.name }, 0);
        options.metrics.roleRestarts.inc({ role: role.name });
        log.error("role crashed; restarting", { error, restart_in_ms: delay, failures });
        await sleep(delay, controller.signal);
      }
    }
    states[role.name] = "stopped";
    options.metrics.roleUp.set({ role: role.name }, 0);
  }

  return {
    states: () => ({ ...states }),
    async stop(graceMs) {
      controller.abort();
      const all = Promise.all(loops).then(() => true);
      return await Promise.race([all, Bun.sleep(graceMs).then(() => false)]);
    },
  };
}
