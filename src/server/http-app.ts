import { Hono } from "hono";
import type { App } from "../app/app.ts";
import { healthRoutes } from "./health-routes.ts";
import { httpMetrics } from "./http-metrics.ts";
import { sdkRoutes } from "./sdk/sdk-routes.ts";

/** Everything `pug server` answers over HTTP. */
export function createHttpApp(app: App): Hono {
  const http = new Hono();
  http.use(httpMetrics(app.metrics));
  http.route("/", healthRoutes(app));
  http.route("/", sdkRoutes(app));
  return http;
}
