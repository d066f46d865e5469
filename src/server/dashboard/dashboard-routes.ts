// The dashboard-side services (sign-in, the person, orgs, projects, dashboards, usage) and the public ones
// (shared dashboards). Each registers itself here; the auth boundary's table decides who may call what.

import type { ConnectRouter } from "@connectrpc/connect";
import type { DashboardDeps } from "./dashboard-deps.ts";

export function registerDashboardServices(router: ConnectRouter, deps: DashboardDeps): void {
  void router;
  void deps;
}
