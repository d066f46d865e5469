import { Hono } from "hono";
import { routePath } from "hono/route";
import type { App } from "../app/app.ts";
import { apiRoutes } from "./api-routes.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpMetrics } from "./http-metrics.ts";
import { requestFailure } from "./request-failure.ts";
import { apiKeyStore } from "./sdk/api-key-store.ts";
import { intakeDeps } from "./sdk/intake-deps.ts";
import { sdkRoutes } from "./sdk/sdk-routes.ts";

/** Everything `pug server` answers on its public port (metrics are on the admin listener, see run-roles.ts). */
export function createHttpApp(app: App, signal: AbortSignal): Hono {
  const http = new Hono();
  http.use(httpMetrics(app.metrics));
  http.route("/", healthRoutes(app));
  // One snapshot of the API keys for every service the auth boundary guards.
  const keys = apiKeyStore(app.postgres(), app.log, app.metrics, signal);
  http.route("/", sdkRoutes(app, intakeDeps(app, signal), keys));
  http.route("/", apiRoutes(app, keys));
  // Hono's default prints the error with console.error, dozens of lines that are not JSON.
  http.onError((error, c) => requestFailure(app, routePath(c) || "unmatched", c.req.method, error));
  return http;
}
