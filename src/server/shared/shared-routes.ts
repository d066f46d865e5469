// The services shared by the dashboard and private-key callers: profiles, activity, insights.

import type { ConnectRouter } from "@connectrpc/connect";
import type { App } from "../../app/app.ts";
import { ActivityService } from "../../gen/shared/activity/v1/activity_pb.ts";
import { InsightsService } from "../../gen/shared/insights/v1/insights_pb.ts";
import { ProfilesService } from "../../gen/shared/profiles/v1/profiles_pb.ts";
import { ProjectSettingsCache } from "../../store/project-settings.ts";
import { activityService } from "./activity-service.ts";
import { insightsService } from "./insights-service.ts";
import { profilesService } from "./profiles-service.ts";
import { queryCache } from "./query-cache.ts";
import type { SharedDeps } from "./shared-deps.ts";

export function sharedDeps(app: App): SharedDeps {
  return {
    sql: app.postgres(),
    clickhouse: app.clickhouse(),
    nats: app.nats,
    log: app.log,
    projects: new ProjectSettingsCache(app.postgres()),
    cache: queryCache(app.redis(), app.metrics, app.log),
  };
}

export function registerSharedServices(router: ConnectRouter, deps: SharedDeps): void {
  router.service(ProfilesService, profilesService(deps));
  router.service(ActivityService, activityService(deps));
  router.service(InsightsService, insightsService(deps));
}
