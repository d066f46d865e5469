// Mounts every Connect service the dashboard and private-key callers use on Hono: CORS, the client's IP, then
// one Connect router behind one auth boundary. Connect unary and server-streaming, JSON and binary.

import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import { universalServerRequestFromFetch, universalServerResponseToFetch } from "@connectrpc/connect/protocol";
import { Hono } from "hono";
import { getConnInfo } from "hono/bun";
import type { App } from "../app/app.ts";
import { clientIp, trustedProxies } from "../domain/ingest/client-ip.ts";
import { memberships } from "../store/memberships.ts";
import { apiCors } from "./api-cors.ts";
import { authBoundary } from "./auth/auth-boundary.ts";
import { explainedConnectResponse } from "./connect-errors.ts";
import { registerDashboardServices } from "./dashboard/dashboard-routes.ts";
import { clientIpKey, userAgentKey } from "./request-context.ts";
import type { ApiKeyStore } from "./sdk/api-key-store.ts";
import { registerSharedServices, sharedDeps } from "./shared/shared-routes.ts";
import { wireErrors } from "./wire-errors.ts";

/** Requests here are small (ids, filters, dashboards); a large body is a mistake or an attack. */
const READ_MAX_BYTES = 1024 * 1024;

export function apiRoutes(app: App, keys: ApiKeyStore): Hono {
  const router = createConnectRouter({
    readMaxBytes: READ_MAX_BYTES,
    requireConnectProtocolHeader: false,
    // The dashboard's client may be generated from newer protos than ours; fields we do not know are dropped.
    jsonOptions: { ignoreUnknownFields: true },
    interceptors: [authBoundary({ keys, memberships: memberships(app.postgres()), jwtSecret: app.config.server.jwtSecret, jwtPreviousSecret: app.config.server.jwtPreviousSecret }), wireErrors(app.log)],
  });
  const shared = sharedDeps(app);
  registerSharedServices(router, shared);
  registerDashboardServices(router, { ...shared, config: app.config, metrics: app.metrics, redis: app.redis() });

  const trusted = trustedProxies(app.config.intake.trustedProxies);
  const cors = apiCors(app.config.server.corsOrigins);
  const routes = new Hono();
  for (const handler of router.handlers) {
    routes.use(handler.requestPath, cors);
    routes.on(["POST", "GET"], handler.requestPath, async (c) => {
      const request = universalServerRequestFromFetch(c.req.raw, {});
      const ip = clientIp(getConnInfo(c).remote.address ?? "", c.req.header("x-forwarded-for") ?? null, trusted);
      request.contextValues = createContextValues().set(clientIpKey, ip).set(userAgentKey, c.req.header("user-agent") ?? "");
      const response = universalServerResponseToFetch(await handler(request));
      return explainedConnectResponse(response, c.req.header("content-type"), "application/json or application/proto (Connect unary), application/connect+json or application/connect+proto (streaming)");
    });
  }
  return routes;
}
