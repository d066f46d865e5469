// Liveness, readiness and metrics, served by the server and by worker-only processes alike.

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
  routes.get("/metrics", async (c) => {
    await refreshSystemGauges(app);
    return c.body(await app.metrics.text(), 200, { "content-type": app.metrics.registry.contentType });
  });
  return routes;
}
