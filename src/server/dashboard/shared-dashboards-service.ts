// public.dashboards.v1.SharedDashboardsService: a dashboard shared by link, rendered for anyone who has the link
// (no credentials: the boundary's table makes it public). Read-only; the request picks only the range and
// granularity, the tiles that run are the stored ones. An unknown link, one no longer shared, or one whose project
// was deleted are all not_found.
//
// Being public, it is the one way to make ClickHouse work without signing in, so it is limited per client IP and
// per link (in tile queries per second; per address for IPv4, per /64 for IPv6), and the requested range is moved
// back to end on a whole minute (its length kept) so that viewers a few milliseconds apart share cached answers
// instead of each missing the cache.

import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { clientNetwork } from "../../domain/auth/client-network.ts";
import { endingOnWholeMinute } from "../../domain/dashboards/time-range-preset.ts";
import { type TimeRange, TimeRangeSchema } from "../../gen/common/v1/time_pb.ts";
import type { SharedDashboardsService } from "../../gen/public/dashboards/v1/dashboards_pb.ts";
import { sharedDashboard } from "../../store/dashboards.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import { clientIpKey } from "../request-context.ts";
import { enforceRateLimit, rateLimiter } from "../sdk/rate-limiter.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { renderDashboard } from "./dashboard-render.ts";

/** Tile queries per second one client may start through shared links (a dashboard holds at most 100 tiles). */
export const SHARED_TILES_PER_IP_PER_SECOND = 100;
/** Tile queries per second one link may start, whoever asks. */
export const SHARED_TILES_PER_LINK_PER_SECOND = 300;

export function sharedDashboardsService(deps: DashboardDeps): ServiceImpl<typeof SharedDashboardsService> {
  const limiter = rateLimiter(deps.redis, deps.metrics, deps.log);
  return {
    async query(request, ctx) {
      const dashboard = await sharedDashboard(deps.sql, request.shareId);
      if (!dashboard) throw new ConnectError("no shared dashboard with this link (it may have been unshared)", Code.NotFound);
      const queries = Math.max(1, dashboard.tiles.filter((tile) => tile.content.case === "insight").length);
      await enforceRateLimit(limiter, `shared-dashboard:net:${clientNetwork(ctx.values.get(clientIpKey)) ?? "unknown"}`, SHARED_TILES_PER_IP_PER_SECOND, queries, "shared-dashboard tile queries from your address");
      await enforceRateLimit(limiter, `shared-dashboard:link:${dashboard.id}`, SHARED_TILES_PER_LINK_PER_SECOND, queries, "tile queries on this shared dashboard");
      const timeRange = request.timeRange && onWholeMinute(request.timeRange);
      return { dashboard: await renderDashboard(deps, dashboard, { timeRange, granularity: request.granularity }, ctx.signal) };
    },
  };
}

function onWholeMinute(range: TimeRange): TimeRange {
  if (!range.from || !range.to) return range;
  const { fromMs, toMs } = endingOnWholeMinute(timestampMs(range.from), timestampMs(range.to));
  return create(TimeRangeSchema, { from: timestampFromMs(fromMs), to: timestampFromMs(toMs) });
}
