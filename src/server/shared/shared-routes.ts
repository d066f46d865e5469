// Mounts the services shared by the dashboard and private-key callers (profiles, activity, insights) on Hono: CORS, then
// the Connect handler behind the auth boundary. Connect unary and server-streaming, JSON and binary.

import { createConnectRouter } from "@connectrpc/connect";
import { universalServerRequestFromFetch, universalServerResponseToFetch } from "@connectrpc/connect/protocol";
import { Hono } from "hono";
import type { App } from "../../app/app.ts";
import { ActivityService } from "../../gen/shared/activity/v1/activity_pb.ts";
import { InsightsService } from "../../gen/shared/insights/v1/insights_pb.ts";
import { ProfilesService } from "../../gen/shared/profiles/v1/profiles_pb.ts";
import { ProjectSettingsCache } from "../../store/project-settings.ts";
import { authBoundary } from "../auth/auth-boundary.ts";
import { explainedConnectResponse } from "../connect-errors.ts";
import { wireErrors } from "../wire-errors.ts";
import type { ApiKeyStore } from "../sdk/api-key-store.ts";
import { activityService } from "./activity-service.ts";
import { insightsService } from "./insights-service.ts";
import { profilesService } from "./profiles-service.ts";
import { sharedCors } from "./shared-cors.ts";

/** Requests here are small (ids, filters); a large body is a mistake or an attack. */
const READ_MAX_BYTES = 256 * 1024;

export function sharedRoutes(app: App, keys: ApiKeyStore): Hono {
  const router = createConnectRouter({
    readMaxBytes: READ_MAX_BYTES,
    requireConnectProtocolHeader: false,
    // The dashboard's client may be generated from newer protos than ours; fields we do not know are dropped.
    jsonOptions: { ignoreUnknownFields: true },
    interceptors: [authBoundary(keys), wireErrors(app.log)],
  });
  const deps = { sql: app.postgres(), clickhouse: app.clickhouse(), nats: app.nats, log: app.log, projects: new ProjectSettingsCache(app.postgres()) };
  router.service(ProfilesService, profilesService(deps));
  router.service(ActivityService, activityService(deps));
  router.service(InsightsService, insightsService(deps));

  const routes = new Hono();
  for (const handler of router.handlers) {
    routes.use(handler.requestPath, sharedCors());
    routes.on(["POST", "GET"], handler.requestPath, async (c) => {
      const response = universalServerResponseToFetch(await handler(universalServerRequestFromFetch(c.req.raw, {})));
      return explainedConnectResponse(response, c.req.header("content-type"), "application/json or application/proto (Connect unary), application/connect+json or application/connect+proto (streaming)");
    });
  }
  return routes;
}
