// One query builder per insight type; the service picks from here. A type without a builder is refused.

import { InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { buildFunnel } from "./funnel.ts";
import type { InsightBuilder } from "./insight-plan.ts";
import { buildMap } from "./map.ts";
import { buildRetention } from "./retention.ts";
import { buildSegmentation } from "./segmentation.ts";
import { buildTopK } from "./top-k.ts";
import { buildTrends } from "./trends.ts";
import { buildUserFlow } from "./user-flow.ts";

export const INSIGHT_BUILDERS: Partial<Record<InsightType, InsightBuilder>> = {
  [InsightType.TRENDS]: buildTrends,
  [InsightType.SEGMENTATION]: buildSegmentation,
  [InsightType.USER_FLOW]: buildUserFlow,
  [InsightType.TOP_K]: buildTopK,
  [InsightType.MAP]: buildMap,
  [InsightType.FUNNEL]: buildFunnel,
  [InsightType.RETENTION]: buildRetention,
};

export function builderFor(type: InsightType): InsightBuilder | undefined {
  return Object.hasOwn(INSIGHT_BUILDERS, type) ? INSIGHT_BUILDERS[type] : undefined;
}

export { InsightType };
