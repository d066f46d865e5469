// The dashboard-side services (sign-in, the person, orgs, projects, dashboards, usage) and the public ones
// (shared dashboards). Each registers itself here; the auth boundary's table decides who may call what.

import type { ConnectRouter } from "@connectrpc/connect";
import { OrgsService } from "../../gen/dashboard/orgs/v1/orgs_pb.ts";
import { ProjectsService } from "../../gen/dashboard/projects/v1/projects_pb.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { orgsService } from "./orgs-service.ts";
import { projectsService } from "./projects-service.ts";

export function registerDashboardServices(router: ConnectRouter, deps: DashboardDeps): void {
  router.service(OrgsService, orgsService(deps));
  router.service(ProjectsService, projectsService(deps));
}
