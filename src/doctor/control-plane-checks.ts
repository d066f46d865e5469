// Settings the dashboard's sign-in depends on: nothing to connect to, but a wrong value locks people out.

import type { Config } from "../config/config.ts";
import { type CheckResult, ok, warn } from "./check.ts";

export function controlPlaneChecks(config: Config): CheckResult[] {
  const results: CheckResult[] = [];
  results.push(
    config.server.jwtSecret
      ? ok("dashboard sign-in")
      : warn("dashboard sign-in", "PUG_JWT_SECRET_KEY is not set: nobody can sign in to the dashboard (API keys still work)", "set PUG_JWT_SECRET_KEY to 32+ random characters, e.g. from: openssl rand -base64 48"),
  );
  const dashboard = new URL(config.controlPlane.dashboardUrl);
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(dashboard.hostname);
  results.push(
    local
      ? warn("dashboard url", `PUG_DASHBOARD_URL is ${config.controlPlane.dashboardUrl}: sign-in and invitation links will only open on this machine`, "set PUG_DASHBOARD_URL to where people open the dashboard", config.controlPlane.dashboardUrl)
      : ok("dashboard url", config.controlPlane.dashboardUrl),
  );
  if (config.server.corsOrigins.length === 0) {
    results.push(warn("dashboard cors", "PUG_CORS_ORIGINS is empty: browsers will not let a dashboard on another origin call this server", `set PUG_CORS_ORIGINS to the dashboard's origin, e.g. ${dashboard.origin}`));
  } else if (!config.server.corsOrigins.includes(dashboard.origin)) {
    results.push(warn("dashboard cors", `PUG_CORS_ORIGINS does not list PUG_DASHBOARD_URL's origin ${dashboard.origin}`, `add ${dashboard.origin} to PUG_CORS_ORIGINS`));
  } else results.push(ok("dashboard cors", config.server.corsOrigins.join(", ")));
  return results;
}
