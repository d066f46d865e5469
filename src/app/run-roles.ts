// Runs a set of roles in this process until SIGTERM/SIGINT, then shuts down in order: stop taking work, let
// roles finish within the grace period, close the admin listener, close connections.

import { boundUrl } from "../server/bound-url.ts";
import { adminRoutes, type MetricsSource } from "../server/health-routes.ts";
import type { Logger } from "../logger.ts";
import type { App } from "./app.ts";
import { type Role, supervise } from "./supervisor.ts";

export interface RunOptions {
  /**
   * Where to serve /healthz, /readyz and /metrics for operators: PUG_SERVER_ADMIN_ADDR for `pug server` and
   * `pug dev`, PUG_WORKER_HEALTH_ADDR (+ the role's offset) for `pug worker`; undefined serves nothing.
   */
  admin: { host: string; port: number } | undefined;
  /** Resolves to stop the roles; defaults to the first SIGTERM or SIGINT. */
  stopWhen?: Promise<string>;
  /** Called once every role has been started (a child of `pug dev` tells its parent). */
  onStarted?: () => void;
}

export async function runRoles(app: App, roles: Role[], options: RunOptions): Promise<number> {
  const started = performance.now();
  let live = () => true;
  const admin = await openAdmin(app, options.admin, () => live());
  if (admin === "failed") return 1;

  const stopLoggingCrashes = logUncaughtErrors(app.log);
  const supervisor = supervise(roles, {
    log: app.log,
    metrics: app.metrics,
    backoff: { baseMs: 250, maxMs: app.config.restartBackoffMaxMs },
  });
  live = () => Object.values(supervisor.states()).every((s) => s !== "stopped");
  app.log.info("started", { roles: roles.map((r) => r.name), ms: Math.round(performance.now() - started) });
  options.onStarted?.();

  const signal = await (options.stopWhen ?? firstSignal());
  app.log.info("stopping", { signal, grace_ms: app.config.shutdownGraceMs });
  const stoppedInTime = await supervisor.stop(app.config.shutdownGraceMs);
  if (!stoppedInTime) app.log.warn("roles did not finish within the grace period; exiting anyway", { states: supervisor.states() });
  await closeAfterStop(app, admin);
  stopLoggingCrashes();
  app.log.info("stopped");
  return stoppedInTime ? 0 : 1;
}

/** Once the roles stopped: the admin listener, then the connections. */
export async function closeAfterStop(app: App, admin: ReturnType<typeof Bun.serve> | undefined): Promise<void> {
  await admin?.stop(true);
  try {
    await app.close(Math.max(1_000, app.config.shutdownGraceMs / 2));
  } catch (error) {
    app.log.warn("connections did not close cleanly", { error });
  }
}

/**
 * Opens the admin listener before anything starts, so that a second `pug server` on the host does not half-start:
 * undefined when none is asked for, "failed" (logged, connections closed) when the port cannot be had.
 */
export async function openAdmin(app: App, address: { host: string; port: number } | undefined, live: () => boolean, metrics?: MetricsSource): Promise<ReturnType<typeof Bun.serve> | undefined | "failed"> {
  if (!address) return undefined;
  const { host, port } = address;
  try {
    const admin = Bun.serve({ hostname: host, port, fetch: adminRoutes(app, live, metrics).fetch });
    app.log.info("admin listening", { url: boundUrl(admin), serves: ["/metrics", "/healthz", "/readyz"] });
    return admin;
  } catch (error) {
    app.log.error("cannot open the admin listener (PUG_SERVER_ADMIN_ADDR, or PUG_WORKER_HEALTH_ADDR for workers): choose a free port or off", { host, port, error });
    await app.close().catch((closeError: unknown) => app.log.warn("connections did not close cleanly", { error: closeError }));
    return "failed";
  }
}

/**
 * Errors no code awaited would otherwise reach Bun's default printer: a multi-line dump that is not JSON. They
 * become one log line each; an uncaught exception still ends the process (its state is unknown), a rejection
 * nobody handled does not (the supervisor and callers own their failures; this one was merely forgotten).
 */
export function logUncaughtErrors(log: Logger): () => void {
  const rejection = (reason: unknown) => log.error("unhandled promise rejection", { error: reason, stack: (reason as Error)?.stack });
  const exception = (error: Error) => {
    log.error("uncaught exception; exiting", { error, stack: error.stack });
    process.exit(1);
  };
  process.on("unhandledRejection", rejection);
  process.on("uncaughtException", exception);
  return () => {
    process.off("unhandledRejection", rejection);
    process.off("uncaughtException", exception);
  };
}

export function firstSignal(): Promise<string> {
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
