// dashboard.dashboards.v1.DashboardsService: the dashboards of the caller's project (x-project-id; the boundary
// checked membership and role). Field checks live in src/domain/dashboards/, rows in src/store/dashboards.ts;
// rendering is dashboard-render.ts, shared with public links.

import type { ServiceImpl } from "@connectrpc/connect";
import { checkHeader } from "../../domain/dashboards/dashboard-fields.ts";
import { checkTiles } from "../../domain/dashboards/dashboard-tiles.ts";
import type { Dashboard, DashboardsService } from "../../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { createDashboard, deleteDashboard, getDashboard, listDashboards, type Sharing, UnknownTile, updateDashboard, upsertDashboard } from "../../store/dashboards.ts";
import { callerOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { renderDashboard } from "./dashboard-render.ts";

const notFound = (id: string) => new ConnectError(`no dashboard with id ${id} in this project`, Code.NotFound);

function found(dashboard: Dashboard | undefined, id: string): Dashboard {
  if (!dashboard) throw notFound(id);
  return dashboard;
}

export function dashboardsService(deps: DashboardDeps): ServiceImpl<typeof DashboardsService> {
  return {
    async create(request, ctx) {
      const header = checkHeader({ displayName: request.displayName, description: request.description, defaultTimeRange: request.defaultTimeRange, defaultGranularity: request.defaultGranularity });
      return { dashboard: await createDashboard(deps.sql, callerOf(ctx).projectId, header as Required<typeof header>) };
    },

    async delete(request, ctx) {
      if (!(await deleteDashboard(deps.sql, callerOf(ctx).projectId, request.id))) throw notFound(request.id);
      return {};
    },

    async get(request, ctx) {
      return { dashboard: found(await getDashboard(deps.sql, callerOf(ctx).projectId, request.id), request.id) };
    },

    async list(_request, ctx) {
      return { dashboards: await listDashboards(deps.sql, callerOf(ctx).projectId) };
    },

    async update(request, ctx) {
      const header = checkHeader(request);
      const sharing: Sharing = request.isPublic === undefined ? undefined : request.isPublic ? "share" : "unshare";
      return { dashboard: found(await updateDashboard(deps.sql, callerOf(ctx).projectId, request.id, header, sharing), request.id) };
    },

    async upsert(request, ctx) {
      const header = checkHeader(request);
      const tiles = checkTiles(request.tiles);
      try {
        return { dashboard: found(await upsertDashboard(deps.sql, callerOf(ctx).projectId, request.id, header, tiles), request.id) };
      } catch (error) {
        if (error instanceof UnknownTile) throw new ConnectError(error.message, Code.NotFound);
        throw error;
      }
    },

    async queryDashboard(request, ctx) {
      const dashboard = found(await getDashboard(deps.sql, callerOf(ctx).projectId, request.dashboardId), request.dashboardId);
      return { dashboard: await renderDashboard(deps, dashboard, request, ctx.signal) };
    },
  };
}
