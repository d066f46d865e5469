// The dashboard-side services (sign-in, the person, orgs, projects, dashboards, usage) and the public ones
// (shared dashboards). Each registers itself here; the auth boundary's table decides who may call what.

import type { ConnectRouter } from "@connectrpc/connect";
import { AuthService } from "../../gen/public/auth/v1/auth_pb.ts";
import { CustomersService } from "../../gen/dashboard/customers/v1/customers_pb.ts";
import { authService } from "./auth-service.ts";
import { customersService } from "./customers-service.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";

export function registerDashboardServices(router: ConnectRouter, deps: DashboardDeps): void {
  router.service(AuthService, authService(deps));
  router.service(CustomersService, customersService(deps));
}
