// What funnels and retention share: they follow persons (aliases resolved) through the events of the request's
// scope, and each of their events names an event kind, optionally narrowed by per-event filters.

import type { InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { eventFilterSql } from "./event-filter-sql.ts";
import type { EventScope } from "./event-scope.ts";

/** The condition of `spec.events[i]`: its kind (required) and its filters. */
export function stepCondition(spec: InsightQuerySpec, i: number, scope: EventScope): { kind: string; sql: string } {
  const field = `spec.events[${i}]`;
  const step = spec.events[i]!;
  if (!step.event) throw new FieldError(`${field}.event`, "required");
  if (step.event.kind === "") throw new FieldError(`${field}.event.kind`, "required");
  if (step.aggregationProperty !== "") throw new FieldError(`${field}.aggregation_property`, "not used by this insight type");
  return { kind: step.event.kind, sql: eventFilterSql(step.event, scope.filters, `${field}.event`) };
}
