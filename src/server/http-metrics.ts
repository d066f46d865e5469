import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Metrics } from "../app/metrics.ts";

/** Counts and times every request by its route pattern (never the raw path, which would explode label sets). */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async function recordHttpMetrics(c, next) {
    const started = performance.now();
    await next();
    const route = routePath(c) || "unmatched";
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  };
}
