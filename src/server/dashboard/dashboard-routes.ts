// The dashboard-side services (sign-in, the person, orgs, projects, dashboards, usage) and the public ones
// (shared dashboards). Each registers itself here; the auth boundary's table decides who may call what.

import type { ConnectRouter } from "@connectrpc/connect";
import { CustomersService } from "../../gen/dashboard/customers/v1/customers_pb.ts";
import { DashboardsService } from "../../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { OrgsService } from "../../gen/dashboard/orgs/v1/orgs_pb.ts";
import { ProjectsService } from "../../gen/dashboard/projects/v1/projects_pb.ts";
import { UsageService } from "../../gen/dashboard/usage/v1/usage_pb.ts";
import { AuthService } from "../../gen/public/auth/v1/auth_pb.ts";
import { SharedDashboardsService } from "../../gen/public/dashboards/v1/dashboards_pb.ts";
import { authService } from "./auth-service.ts";
import { customersService } from "./customers-service.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { dashboardsService } from "./dashboards-service.ts";
import { orgsService } from "./orgs-service.ts";
import { projectsService } from "./projects-service.ts";
import { sharedDashboardsService } from "./shared-dashboards-service.ts";
import { usageService } from "./usage-service.ts";

export function registerDashboardServices(router: ConnectRouter, deps: DashboardDeps): void {
  router.service(AuthService, authService(deps));
  router.service(CustomersService, customersService(deps));
  router.service(OrgsService, orgsService(deps));
  router.service(ProjectsService, projectsService(deps));
  router.service(DashboardsService, dashboardsService(deps));
  router.service(SharedDashboardsService, sharedDashboardsService(deps));
  router.service(UsageService, usageService(deps));
}
