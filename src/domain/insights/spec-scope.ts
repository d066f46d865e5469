// What a spec holds for each insight type: the event queries of TRENDS and SEGMENTATION, and the refusal of the
// parts an insight type does not read.

import { create } from "@bufbuild/protobuf";
import { AggregationType, type EventQuery, EventQuerySchema, type InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";

export const MAX_EVENT_QUERIES = 20;

/** The spec's event queries: at most MAX_EVENT_QUERIES; none means one query of all events, TOTAL. */
export function eventQueries(spec: InsightQuerySpec): EventQuery[] {
  if (spec.events.length > MAX_EVENT_QUERIES) throw new FieldError("spec.events", `${spec.events.length} event queries; at most ${MAX_EVENT_QUERIES}`);
  return spec.events.length > 0 ? spec.events : [create(EventQuerySchema, { aggregation: AggregationType.TOTAL })];
}

/** The parts of a spec only some insight types read (filter groups and include_cookieless apply to all). */
export type SpecPart = "events" | "session" | "breakdowns" | "breakdown_limit" | "conversion_window" | "include_step_timing" | "user_flow" | "top_k" | "map";

const GIVEN: Record<SpecPart, (spec: InsightQuerySpec) => boolean> = {
  events: (spec) => spec.events.length > 0,
  session: (spec) => spec.session !== undefined,
  breakdowns: (spec) => spec.breakdowns.length > 0,
  breakdown_limit: (spec) => spec.breakdownLimit !== 0,
  conversion_window: (spec) => spec.conversionWindow !== undefined,
  include_step_timing: (spec) => spec.includeStepTiming,
  user_flow: (spec) => spec.userFlow !== undefined,
  top_k: (spec) => spec.topK !== undefined,
  map: (spec) => spec.map !== undefined,
};

/**
 * Refuses every part of the spec that `type` does not read (`uses` lists those it does): a request carrying one is
 * refused rather than silently answered without what the caller asked for.
 */
export function refuseUnusedParts(spec: InsightQuerySpec, type: string, uses: SpecPart[]): void {
  for (const [part, given] of Object.entries(GIVEN) as [SpecPart, (spec: InsightQuerySpec) => boolean][]) {
    if (!uses.includes(part) && given(spec)) throw new FieldError(`spec.${part}`, `not used by ${type}; leave it unset`);
  }
}
