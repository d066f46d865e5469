// public.dashboards.v1.SharedDashboardsService: a dashboard shared by link, rendered for anyone who has the link
// (no credentials: the boundary's table makes it public). Read-only; the request picks only the range and
// granularity, the tiles that run are the stored ones. An unknown link, one no longer shared, or one whose project
// was deleted are all not_found.

import type { ServiceImpl } from "@connectrpc/connect";
import type { SharedDashboardsService } from "../../gen/public/dashboards/v1/dashboards_pb.ts";
import { sharedDashboard } from "../../store/dashboards.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { renderDashboard } from "./dashboard-render.ts";

export function sharedDashboardsService(deps: DashboardDeps): ServiceImpl<typeof SharedDashboardsService> {
  return {
    async query(request, ctx) {
      const dashboard = await sharedDashboard(deps.sql, request.shareId);
      if (!dashboard) throw new ConnectError("no shared dashboard with this link (it may have been unshared)", Code.NotFound);
      return { dashboard: await renderDashboard(deps, dashboard, request, ctx.signal) };
    },
  };
}
