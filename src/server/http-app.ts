import { Hono } from "hono";
import { routePath } from "hono/route";
import type { App } from "../app/app.ts";
import { isClientAbort, unhandledErrorResponse } from "./connect-errors.ts";
import { apiRoutes } from "./api-routes.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpMetrics } from "./http-metrics.ts";
import { apiKeyStore } from "./sdk/api-key-store.ts";
import { sdkRoutes } from "./sdk/sdk-routes.ts";

/** Everything `pug server` answers on its public port (metrics are on the admin listener, see run-roles.ts). */
export function createHttpApp(app: App, signal: AbortSignal): Hono {
  const http = new Hono();
  http.use(httpMetrics(app.metrics));
  http.route("/", healthRoutes(app));
  // One snapshot of the API keys for every service the auth boundary guards.
  const keys = apiKeyStore(app.postgres(), app.log, app.metrics, signal);
  http.route("/", sdkRoutes(app, signal, keys));
  http.route("/", apiRoutes(app, keys));
  // Hono's default prints the error with console.error, dozens of lines that are not JSON. A client that
  // hung up mid-body is routine (slow mobile connections, closed tabs): counted, not logged as an error.
  http.onError((error, c) => {
    const route = routePath(c) || "unmatched";
    if (isClientAbort(error)) {
      app.metrics.httpAborted.inc({ route });
      app.log.debug("client went away before its request was read", { route });
    } else {
      app.log.error("request failed", { route, method: c.req.method, error, stack: error.stack });
    }
    return unhandledErrorResponse(error);
  });
  return http;
}
