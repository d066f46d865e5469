// `pug dev` as a unit of child processes: starts them, serves the one admin listener (health, readiness, the
// children's metrics merged), and on SIGTERM/SIGINT stops them in order. Exits 0 only when every child exited
// within the grace period; 1 when a child kept failing at start or had to be killed.

import type { DevProcess } from "../domain/dev-processes.ts";
import type { App } from "./app.ts";
import type { ChildMessage } from "./child-messages.ts";
import { childrenMetricsText } from "./child-metrics.ts";
import { selfCommand } from "./child-process.ts";
import { superviseChildren } from "./child-supervisor.ts";
import { closeAfterStop, firstSignal, logUncaughtErrors, openAdmin } from "./run-roles.ts";

export interface RunChildrenOptions {
  envFile: string | undefined;
  admin: { host: string; port: number } | undefined;
  /** Every message a child sends (the first server's listening address is announced by the caller). */
  onMessage?: (process: DevProcess, message: ChildMessage) => void;
  stopWhen?: Promise<string>;
}

export async function runChildren(app: App, plan: DevProcess[], options: RunChildrenOptions): Promise<number> {
  let children: ReturnType<typeof superviseChildren> | undefined;
  const live = () => children !== undefined && children.running().size === plan.length;
  const admin = await openAdmin(app, options.admin, live, () => childrenMetricsText(app, children?.running() ?? new Map()));
  if (admin === "failed") return 1;

  const stopLoggingCrashes = logUncaughtErrors(app.log);
  children = superviseChildren(plan, {
    command: selfCommand(),
    envFile: options.envFile,
    env: sharedServerPort(app, plan),
    log: app.log,
    metrics: app.metrics,
    backoff: { baseMs: 250, maxMs: app.config.restartBackoffMaxMs },
    onMessage: (process, message) => options.onMessage?.(process, message),
  });
  app.log.info("started", { processes: plan.map((p) => ({ name: p.name, roles: p.roles })), cores: navigator.hardwareConcurrency });

  let gaveUp: string | undefined;
  const signal = await Promise.race([options.stopWhen ?? firstSignal(), children.gaveUp.then((reason) => (gaveUp = reason))]);
  app.log.info("stopping", { signal, grace_ms: app.config.shutdownGraceMs, order: "servers, then workers" });
  const stoppedInTime = await children.stop(app.config.shutdownGraceMs);
  if (!stoppedInTime) app.log.warn("child processes did not finish within the grace period and were killed");
  await closeAfterStop(app, admin);
  stopLoggingCrashes();
  if (gaveUp) {
    app.log.error("stopped: a child process could not start", { reason: gaveUp });
    return 1;
  }
  app.log.info("stopped");
  return stoppedInTime ? 0 : 1;
}

/**
 * PUG_SERVER_PORT=0 means "any free port"; several servers must still share one, so the parent picks it (a port
 * free a moment ago: good enough for a development server).
 */
function sharedServerPort(app: App, plan: DevProcess[]): Record<string, string> {
  if (app.config.server.port !== 0 || plan.filter((p) => p.roles.includes("server")).length < 2) return {};
  const probe = Bun.listen({ hostname: app.config.server.host, port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return { PUG_SERVER_PORT: String(port) };
}
