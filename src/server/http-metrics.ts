import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Metrics } from "../app/metrics.ts";

/** Counts and times every request by its route pattern (never the raw path, which would explode label sets). */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async function recordHttpMetrics(c, next) {
    const started = performance.now();
    await next();
    recordRequest(metrics, c.req.method, routePath(c) || "unmatched", c.res.status, started);
  };
}

/** Counts one answered request and its time since `started` (performance.now()); for routes served without Hono too. */
export function recordRequest(metrics: Metrics, method: string, route: string, status: number, started: number): void {
  metrics.httpRequests.inc({ method, route, status: String(status) });
  metrics.httpDuration.observe({ method, route }, (performance.now() - started) / 1000);
}
