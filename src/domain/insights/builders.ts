// One query builder per insight type; the service picks from here. A type without a builder is refused. Every spec
// that runs (Query, a dashboard tile) and every spec stored on a tile passes the same checks: `builderOfSpec`, then
// the builder itself.

import { type InsightQuerySpec, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { buildFunnel } from "./funnel.ts";
import type { InsightBuilder, InsightPlan } from "./insight-plan.ts";
import { buildMap } from "./map.ts";
import type { QueryParams } from "./query-params.ts";
import { buildRetention } from "./retention.ts";
import { buildSegmentation } from "./segmentation.ts";
import { buildTopK } from "./top-k.ts";
import { buildTrends } from "./trends.ts";
import { buildUserFlow } from "./user-flow.ts";
import type { TimeWindow } from "./time-window.ts";

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

/** The builder of a request's spec; refuses a missing spec or an insight type without a builder. */
export function builderOfSpec(spec: InsightQuerySpec | undefined): InsightBuilder {
  if (!spec) throw new FieldError("spec", "required");
  const build = builderFor(spec.insightType);
  if (!build) {
    throw new FieldError("spec.insight_type", spec.insightType === InsightType.UNSPECIFIED ? "required" : `unknown insight type ${spec.insightType}`);
  }
  return build;
}

/** The queries of a spec over a window, or the FieldError (`spec…`) that says why it cannot run. */
export function planInsight(spec: InsightQuerySpec | undefined, window: TimeWindow, params: QueryParams): InsightPlan {
  return builderOfSpec(spec)({ spec: spec!, window, params });
}

export { InsightType };
