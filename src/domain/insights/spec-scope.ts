// The event queries of a TRENDS or SEGMENTATION spec, and the refusal of spec parts that belong to other insights.
// (Their events' scope is insightEventScope in ./event-scope.ts.)

import { create } from "@bufbuild/protobuf";
import { AggregationType, type EventQuery, EventQuerySchema, type InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";

export const MAX_EVENT_QUERIES = 20;

/** The spec's event queries: at most MAX_EVENT_QUERIES; none means one query of all events, TOTAL. */
export function eventQueries(spec: InsightQuerySpec): EventQuery[] {
  if (spec.events.length > MAX_EVENT_QUERIES) throw new FieldError("spec.events", `${spec.events.length} event queries; at most ${MAX_EVENT_QUERIES}`);
  return spec.events.length > 0 ? spec.events : [create(EventQuerySchema, { aggregation: AggregationType.TOTAL })];
}

/** Refuses the parts of a spec that belong to other insight types (`type` names this one in the message). */
export function refuseOtherInsightParts(spec: InsightQuerySpec, type: string): void {
  const foreign: [string, boolean][] = [
    ["spec.conversion_window", spec.conversionWindow !== undefined],
    ["spec.include_step_timing", spec.includeStepTiming],
    ["spec.user_flow", spec.userFlow !== undefined],
    ["spec.top_k", spec.topK !== undefined],
    ["spec.map", spec.map !== undefined],
  ];
  for (const [field, given] of foreign) if (given) throw new FieldError(field, `not used by ${type}; leave it unset`);
}
