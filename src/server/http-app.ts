import { Hono } from "hono";
import { routePath } from "hono/route";
import type { App } from "../app/app.ts";
import { apiRoutes } from "./api-routes.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpMetrics } from "./http-metrics.ts";
import { requestFailure } from "./request-failure.ts";
import { apiKeyStore } from "./sdk/api-key-store.ts";
import { BATCH_CREATE_PATH, batchCreateFast, type Route } from "./sdk/batch-create-fast.ts";
import { intakeDeps } from "./sdk/intake-deps.ts";
import { sdkRoutes } from "./sdk/sdk-routes.ts";

export interface HttpApp {
  /** Every request the routes do not take. */
  fetch: Route;
  /** Bun.serve's routes: paths answered without Hono (for the methods named), before `fetch`. */
  routes: Record<string, { POST: Route }>;
}

export interface HttpAppOptions {
  /**
   * The fast path of binary BatchCreate (batch-create-fast.ts); on unless turned off, which only its test does,
   * to compare its answers with the usual path's.
   */
  fastIntake?: boolean;
}

/** Everything `pug server` answers on its public port (metrics are on the admin listener, see run-roles.ts). */
export function createHttpApp(app: App, signal: AbortSignal, { fastIntake = true }: HttpAppOptions = {}): HttpApp {
  const http = new Hono();
  http.use(httpMetrics(app.metrics));
  http.route("/", healthRoutes(app));
  // One snapshot of the API keys for every service the auth boundary guards.
  const keys = apiKeyStore(app.postgres(), app.log, app.metrics, signal);
  const intake = intakeDeps(app, signal);
  http.route("/", sdkRoutes(app, intake, keys));
  http.route("/", apiRoutes(app, keys));
  // Hono's default prints the error with console.error, dozens of lines that are not JSON.
  http.onError((error, c) => requestFailure(app, routePath(c) || "unmatched", c.req.method, error));
  const fetch: Route = (request, server) => http.fetch(request, server);
  return { fetch, routes: fastIntake ? { [BATCH_CREATE_PATH]: { POST: batchCreateFast(app, intake, keys, fetch) } } : {} };
}
