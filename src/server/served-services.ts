// Every Connect service `pug server` answers (mounted by sdk/sdk-routes.ts, shared/shared-routes.ts and
// dashboard/dashboard-routes.ts). The access table must have a rule for each of their procedures; the tests walk
// this list.

import type { DescService } from "@bufbuild/protobuf";
import { CustomersService } from "../gen/dashboard/customers/v1/customers_pb.ts";
import { DashboardsService } from "../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { OrgsService } from "../gen/dashboard/orgs/v1/orgs_pb.ts";
import { ProjectsService } from "../gen/dashboard/projects/v1/projects_pb.ts";
import { UsageService } from "../gen/dashboard/usage/v1/usage_pb.ts";
import { AuthService } from "../gen/public/auth/v1/auth_pb.ts";
import { SharedDashboardsService } from "../gen/public/dashboards/v1/dashboards_pb.ts";
import { EventsService } from "../gen/sdk/events/v1/events_pb.ts";
import { ProfilesSDKService } from "../gen/sdk/profiles/v1/profiles_pb.ts";
import { ActivityService } from "../gen/shared/activity/v1/activity_pb.ts";
import { InsightsService } from "../gen/shared/insights/v1/insights_pb.ts";
import { ProfilesService } from "../gen/shared/profiles/v1/profiles_pb.ts";

export const servedServices: readonly DescService[] = [
  EventsService,
  ProfilesSDKService,
  ProfilesService,
  ActivityService,
  InsightsService,
  AuthService,
  SharedDashboardsService,
  CustomersService,
  OrgsService,
  ProjectsService,
  DashboardsService,
  UsageService,
];
