// Liveness and readiness (public: load balancers probe them on the API port) and metrics (operators only:
// served on the admin listener, never on the API port).

import { Hono } from "hono";
import type { App } from "../app/app.ts";
import { checkReadiness } from "../app/readiness.ts";
import { refreshSystemGauges } from "../app/system-gauges.ts";

export function healthRoutes(app: App, live: () => boolean = () => true): Hono {
  const routes = new Hono();
  const liveness = (c: { text: (body: string, status: 200 | 503) => Response }) => (live() ? c.text("ok", 200) : c.text("unhealthy", 503));
  routes.get("/healthz", liveness);
  routes.get("/health", liveness);
  routes.get("/readyz", async (c) => {
    const readiness = await checkReadiness(app);
    return c.json(readiness, readiness.ready ? 200 : 503);
  });
  return routes;
}

/** Where /metrics comes from: this process's registry, or (`pug dev`) its children's merged with it. */
export type MetricsSource = () => Promise<{ text: string; contentType: string }>;

export function metricsRoutes(app: App, source?: MetricsSource): Hono {
  const own: MetricsSource = async () => ({ text: await app.metrics.text(), contentType: app.metrics.registry.contentType });
  return new Hono().get("/metrics", async (c) => {
    await refreshSystemGauges(app);
    const { text, contentType } = await (source ?? own)();
    return c.body(text, 200, { "content-type": contentType });
  });
}

/** What the admin listener of every process answers: health, readiness and metrics. */
export function adminRoutes(app: App, live: () => boolean, metrics?: MetricsSource): Hono {
  const routes = new Hono().route("/", healthRoutes(app, live)).route("/", metricsRoutes(app, metrics));
  routes.onError((error, c) => {
    app.log.error("admin request failed", { path: c.req.path, error, stack: error.stack });
    return c.text("internal error", 500);
  });
  return routes;
}
