// SEGMENTATION: one number for the whole window. The events are those matching any of the event queries (all
// events when there are none); the number is events[0]'s aggregation of them (see ./aggregation.ts). Another
// event query may repeat that aggregation or leave it unset, nothing else: it only widens the set of events.
// No breakdowns. `spec.session` makes it a session metric (./session-metrics.ts).

import { create } from "@bufbuild/protobuf";
import { AggregationType, SegmentationResultSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { aggregationSql } from "./aggregation.ts";
import { directValue } from "./metric-sql.ts";
import { anyEventFilterSql } from "./event-filter-sql.ts";
import type { InsightInput, InsightPlan } from "./insight-plan.ts";
import { finiteOrZero, sessionPlan } from "./session-metrics.ts";
import { eventQueries, refuseUnusedParts } from "./spec-scope.ts";
import { insightEventScope } from "./event-scope.ts";

export function buildSegmentation(input: InsightInput): InsightPlan {
  const { spec, params } = input;
  refuseUnusedParts(spec, "SEGMENTATION", ["events", "session", "breakdowns", "breakdown_limit"]);
  if (spec.breakdowns.length > 0) throw new FieldError("spec.breakdowns", "SEGMENTATION takes no breakdowns; use TRENDS");
  if (spec.breakdownLimit !== 0) throw new FieldError("spec.breakdown_limit", "SEGMENTATION takes no breakdowns");
  if (spec.session) return sessionPlan(input, "segmentation");
  const queries = eventQueries(spec);
  const first = queries[0]!;
  queries.forEach((query, i) => {
    if (i > 0 && query.aggregation !== AggregationType.UNSPECIFIED && query.aggregation !== first.aggregation) {
      throw new FieldError(`spec.events[${i}].aggregation`, "SEGMENTATION aggregates every event query with events[0]'s aggregation; leave it unset or the same");
    }
  });
  const scope = insightEventScope(input);
  const anyMatch = anyEventFilterSql(queries.map((query) => query.event), scope.filters, "spec.events", (i) => `spec.events[${i}].event`);
  const metric = aggregationSql(first, scope, "spec.events[0]");
  const where = [scope.where, anyMatch, metric.where].filter((condition) => condition !== "1").join(" AND ");
  return {
    queries: [{ sql: `SELECT if(count() = 0, 0, ${directValue(metric)}) AS value FROM ${scope.from()} WHERE ${where}`, params: params.values }],
    shape: (rows) => ({ case: "segmentation", value: create(SegmentationResultSchema, { total: finiteOrZero(rows[0]?.[0]?.value) }) }),
  };
}
