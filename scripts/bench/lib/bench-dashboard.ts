// The dashboard the control-plane benchmark stores and renders: eight insight tiles over seeded traffic
// (src/seed/), a mix of trends, segmentation KPIs, top-k tables and a funnel, laid out on the 72-column grid.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type DashboardTileInputSchema, DashboardTileViewMode } from "../../../src/gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { AggregationType, InsightType, type QueryRequestSchema, TopKQuery_Dimension } from "../../../src/gen/shared/insights/v1/insights_pb.ts";

type TileInput = MessageInitShape<typeof DashboardTileInputSchema>;
type Spec = NonNullable<MessageInitShape<typeof QueryRequestSchema>["spec"]>;

const pageViews = { kind: "page_view" };

function tile(displayName: string, viewMode: DashboardTileViewMode, spec: Spec, index: number): TileInput {
  return { displayName, viewMode, content: { case: "insight", value: { spec } }, position: { x: (index % 2) * 36, y: Math.floor(index / 2) * 8, w: 36, h: 8 } };
}

export const BENCH_TILES: TileInput[] = [
  tile("Page views", DashboardTileViewMode.LINE, { insightType: InsightType.TRENDS, events: [{ event: pageViews, aggregation: AggregationType.TOTAL }] }, 0),
  tile("Visitors", DashboardTileViewMode.AREA, { insightType: InsightType.TRENDS, events: [{ event: pageViews, aggregation: AggregationType.UNIQUE_USERS }] }, 1),
  tile("Page views by country", DashboardTileViewMode.BAR_STACKED, { insightType: InsightType.TRENDS, events: [{ event: pageViews, aggregation: AggregationType.TOTAL }], breakdowns: [{ property: "$country" }] }, 2),
  tile("Purchases", DashboardTileViewMode.KPI, { insightType: InsightType.SEGMENTATION, events: [{ event: { kind: "purchase" }, aggregation: AggregationType.TOTAL }] }, 3),
  tile("Sign-ups", DashboardTileViewMode.KPI, { insightType: InsightType.SEGMENTATION, events: [{ event: { kind: "signup_completed" }, aggregation: AggregationType.UNIQUE_USERS }] }, 4),
  tile("Top pages", DashboardTileViewMode.TABLE, { insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.PROPERTY, property: "$pathname", scope: pageViews, metric: AggregationType.TOTAL, limit: 10 } }, 5),
  tile("Top browsers", DashboardTileViewMode.PIE, { insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.PROPERTY, property: "$browser", scope: pageViews, metric: AggregationType.UNIQUE_USERS, limit: 10 } }, 6),
  tile("Sign-up to purchase", DashboardTileViewMode.BAR_GROUPED, {
    insightType: InsightType.FUNNEL,
    events: ["signup_started", "signup_completed", "purchase"].map((kind) => ({ event: { kind } })),
    conversionWindow: durationFromMs(3 * 86_400_000),
  }, 7),
];
