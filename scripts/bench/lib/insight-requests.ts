// The requests the query benchmark times, as the dashboard would send them, over seeded traffic (src/seed/):
// each is built for a time range ending at `toMs`, so a run can shift the range by a second to miss every cache
// but ClickHouse's own while asking the same question.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { FilterOperator } from "../../../src/gen/common/v1/filters_pb.ts";
import type { ActivityService } from "../../../src/gen/shared/activity/v1/activity_pb.ts";
import {
  AggregationType,
  Granularity,
  type InsightsService,
  InsightType,
  QueryRequestSchema,
  TopKQuery_Dimension,
  UserFlowQuery_NodeKind,
} from "../../../src/gen/shared/insights/v1/insights_pb.ts";

const DAY_MS = 86_400_000;

export interface BenchClients {
  insights: Client<typeof InsightsService>;
  activity: Client<typeof ActivityService>;
}

export interface BenchQuery {
  name: string;
  /** Sends the request for a range ending at `toMs`; resolves with a one-line summary of the answer. */
  run(clients: BenchClients, toMs: number, headers: Record<string, string>): Promise<string>;
}

type Spec = NonNullable<MessageInitShape<typeof QueryRequestSchema>["spec"]>;

const range = (toMs: number, days: number) => ({ from: timestampFromMs(toMs - days * DAY_MS), to: timestampFromMs(toMs) });

function insight(name: string, days: number, granularity: Granularity, spec: Spec, summary: (result: unknown) => string): BenchQuery {
  return {
    name,
    async run(clients, toMs, headers) {
      const request = create(QueryRequestSchema, { spec, timeRange: range(toMs, days), granularity });
      const response = await clients.insights.query(request, { headers });
      return summary(response.result.value);
    },
  };
}

const count = (what: string, list: unknown[] | undefined) => `${list?.length ?? 0} ${what}`;
const pageViews = { kind: "page_view" };

export const BENCH_QUERIES: BenchQuery[] = [
  insight("trend: 30 days daily, TOTAL page_view", 30, Granularity.DAY,
    { insightType: InsightType.TRENDS, events: [{ event: pageViews, aggregation: AggregationType.TOTAL }] },
    (r) => count("points", (r as { series?: { points: unknown[] }[] })?.series?.[0]?.points)),
  insight("trend: 30 days daily, UNIQUE_USERS page_view", 30, Granularity.DAY,
    { insightType: InsightType.TRENDS, events: [{ event: pageViews, aggregation: AggregationType.UNIQUE_USERS }] },
    (r) => count("points", (r as { series?: { points: unknown[] }[] })?.series?.[0]?.points)),
  insight("trend: 30 days daily, TOTAL by $country", 30, Granularity.DAY,
    { insightType: InsightType.TRENDS, events: [{ event: pageViews, aggregation: AggregationType.TOTAL }], breakdowns: [{ property: "$country" }] },
    (r) => count("series", (r as { series?: unknown[] })?.series)),
  insight("funnel: / → signup_started → signup_completed → purchase, timing", 30, Granularity.DAY,
    {
      insightType: InsightType.FUNNEL,
      events: [
        { event: { kind: "page_view", filters: [{ property: "$pathname", operator: FilterOperator.EQUALS, value: "/" }] } },
        { event: { kind: "signup_started" } },
        { event: { kind: "signup_completed" } },
        { event: { kind: "purchase" } },
      ],
      conversionWindow: durationFromMs(7 * DAY_MS),
      includeStepTiming: true,
    },
    (r) => `steps ${((r as { series?: { steps: { total: number }[] }[] })?.series?.[0]?.steps ?? []).map((s) => s.total).join(" → ")}`),
  insight("retention: 12 weeks, page_view", 84, Granularity.WEEK,
    { insightType: InsightType.RETENTION, events: [{ event: pageViews }] },
    (r) => count("cohorts", (r as { series?: { cohorts: unknown[] }[] })?.series?.[0]?.cohorts)),
  insight("flow: 5 hops of $pathname", 30, Granularity.DAY,
    { insightType: InsightType.USER_FLOW, userFlow: { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "$pathname", scope: pageViews, maxHops: 5 } },
    (r) => `${count("nodes", (r as { nodes?: unknown[] })?.nodes)}, ${count("links", (r as { links?: unknown[] })?.links)}`),
  insight("top pages: TOP_K $pathname", 30, Granularity.DAY,
    { insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.PROPERTY, property: "$pathname", scope: pageViews, metric: AggregationType.TOTAL, limit: 10 } },
    (r) => count("rows", (r as { rows?: unknown[] })?.rows)),
  {
    name: "event explorer: first page (100)",
    async run(clients, toMs, headers) {
      const response = await clients.activity.getEventExplorer({ timeRange: range(toMs, 30), pageSize: 100 }, { headers });
      return count("events", response.events);
    },
  },
];
