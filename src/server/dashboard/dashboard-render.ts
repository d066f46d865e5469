// A dashboard rendered over one time range: every insight tile's spec answered through the one insight path
// (InsightsService.Query's: same checks, cache and read limits), a few at a time. A tile that cannot be answered
// (a spec that no longer runs, a read limit, a timeout) carries its error; the other tiles still render. Markdown
// tiles come back as they are. Only stored tiles run: nothing of the request reaches a spec but range and
// granularity.

import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { FALLBACK_GRANULARITY, fittingGranularity, presetRange } from "../../domain/dashboards/time-range-preset.ts";
import { FieldError } from "../../domain/field-error.ts";
import { timeWindow } from "../../domain/insights/time-window.ts";
import { type TimeRange, TimeRangeSchema } from "../../gen/common/v1/time_pb.ts";
import { type Dashboard, type DashboardTile, type RenderedDashboard, RenderedDashboardSchema, type RenderedTile, RenderedTileSchema } from "../../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { type Granularity, QueryRequestSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { ConnectError } from "../connect-errors.ts";
import { answerInsightQuery } from "../shared/insight-query.ts";
import type { SharedDeps } from "../shared/shared-deps.ts";

/** Tiles queried at once for one render: a dashboard of many tiles must not take every ClickHouse slot. */
export const TILE_CONCURRENCY = 4;

export interface RenderRequest {
  /** Default: the dashboard's default preset, ending now. */
  timeRange?: TimeRange;
  /** 0: the dashboard's default, else DAY. */
  granularity: Granularity;
}

export async function renderDashboard(deps: SharedDeps, dashboard: Dashboard, request: RenderRequest, signal: AbortSignal): Promise<RenderedDashboard> {
  const timeRange = request.timeRange ?? presetTimeRange(dashboard, Date.now());
  // The dashboard's own default may be too fine for the range (set at different times): a coarser one that fits.
  const granularity = request.granularity || fittingGranularity(dashboard.defaultGranularity || FALLBACK_GRANULARITY, rangeMs(timeRange));
  // Checked once for the whole request (invalid_argument), rather than as the same error on every tile.
  timeWindow(timeRange, granularity, "UTC");
  const tiles = await mapConcurrently(dashboard.tiles, TILE_CONCURRENCY, (tile) => renderTile(deps, dashboard.projectId, tile, timeRange, granularity, signal));
  return create(RenderedDashboardSchema, {
    id: dashboard.id,
    displayName: dashboard.displayName,
    description: dashboard.description,
    defaultTimeRange: dashboard.defaultTimeRange,
    defaultGranularity: dashboard.defaultGranularity,
    createTime: dashboard.createTime,
    updateTime: dashboard.updateTime,
    tiles,
  });
}

function rangeMs(range: TimeRange): number {
  return range.from && range.to ? timestampMs(range.to) - timestampMs(range.from) : 0;
}

function presetTimeRange(dashboard: Dashboard, nowMs: number): TimeRange {
  const { fromMs, toMs } = presetRange(dashboard.defaultTimeRange, nowMs);
  return create(TimeRangeSchema, { from: timestampFromMs(fromMs), to: timestampFromMs(toMs) });
}

async function renderTile(deps: SharedDeps, projectId: string, tile: DashboardTile, timeRange: TimeRange, granularity: Granularity, signal: AbortSignal): Promise<RenderedTile> {
  if (tile.content.case !== "insight") return create(RenderedTileSchema, { tile });
  const request = create(QueryRequestSchema, { spec: tile.content.value.spec, timeRange, granularity });
  try {
    const result = await answerInsightQuery(deps, projectId, request, signal);
    return create(RenderedTileSchema, { tile, outcome: { case: "result", value: result } });
  } catch (error) {
    return create(RenderedTileSchema, { tile, outcome: { case: "errorMessage", value: tileError(deps, tile, error, signal) } });
  }
}

/** What a tile says when its query failed. Failures that are no fault of the tile are logged in full. */
function tileError(deps: SharedDeps, tile: DashboardTile, error: unknown, signal: AbortSignal): string {
  if (signal.aborted) throw error;
  if (error instanceof FieldError) return error.message;
  if (error instanceof ConnectError) return error.rawMessage;
  deps.log.error("dashboard tile query failed", { tileId: tile.id, dashboardId: tile.dashboardId, error });
  return "internal error (logged on the server)";
}

/** `work` over `items`, at most `limit` at once, results in the order of `items`. */
async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
