// Runs a set of roles in this process until SIGTERM/SIGINT, then shuts down in order: stop taking work, let
// roles finish within the grace period, close the health listener, close connections.

import { Hono } from "hono";
import { healthRoutes } from "../server/health-routes.ts";
import type { App } from "./app.ts";
import { type Role, supervise } from "./supervisor.ts";

export interface RunOptions {
  /** Serve /healthz, /readyz and /metrics on PUG_WORKER_HEALTH_ADDR (processes without the server role). */
  healthListener: boolean;
  /** Resolves to stop the roles; defaults to the first SIGTERM or SIGINT. */
  stopWhen?: Promise<string>;
}

export async function runRoles(app: App, roles: Role[], options: RunOptions): Promise<number> {
  const started = performance.now();
  const supervisor = supervise(roles, {
    log: app.log,
    metrics: app.metrics,
    backoff: { baseMs: 250, maxMs: app.config.restartBackoffMaxMs },
  });

  const addr = app.config.workerHealth;
  const health = options.healthListener && addr
    ? Bun.serve({
        hostname: addr.host,
        port: addr.port,
        fetch: new Hono().route("/", healthRoutes(app, () => Object.values(supervisor.states()).every((s) => s !== "stopped"))).fetch,
      })
    : undefined;
  if (health) app.log.info("health listening", { url: `http://${health.hostname}:${health.port}` });
  app.log.info("started", { roles: roles.map((r) => r.name), ms: Math.round(performance.now() - started) });

  const signal = await (options.stopWhen ?? firstSignal());
  app.log.info("stopping", { signal, grace_ms: app.config.shutdownGraceMs });
  const stoppedInTime = await supervisor.stop(app.config.shutdownGraceMs);
  if (!stoppedInTime) app.log.warn("roles did not finish within the grace period; exiting anyway", { states: supervisor.states() });
  await health?.stop(true);
  try {
    await app.close(Math.max(1_000, app.config.shutdownGraceMs / 2));
  } catch (error) {
    app.log.warn("connections did not close cleanly", { error });
  }
  app.log.info("stopped");
  return stoppedInTime ? 0 : 1;
}

function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(signal);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}
