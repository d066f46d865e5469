import type { Config } from "../../config/config.ts";
import type { Metrics } from "../../app/metrics.ts";
import type { Redis } from "../../infra/redis.ts";
import type { SharedDeps } from "../shared/shared-deps.ts";

/** What the dashboard-side services (auth, customers, orgs, projects, dashboards, usage) use. */
export interface DashboardDeps extends SharedDeps {
  config: Config;
  metrics: Metrics;
  redis: Redis;
}
