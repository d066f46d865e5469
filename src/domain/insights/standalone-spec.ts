// Insights configured by a message of their own (user_flow, top_k, map) take none of the event-series parts of
// the spec; a request carrying them is refused rather than silently ignoring what the caller asked for.

import type { InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";

/** Refuses events, session, breakdowns and breakdown_limit; `kind` names the insight in the message. */
export function refuseSeriesParts(spec: InsightQuerySpec, kind: string): void {
  if (spec.events.length > 0) throw new FieldError("spec.events", `must be empty for ${kind}`);
  if (spec.session) throw new FieldError("spec.session", `must be unset for ${kind}`);
  if (spec.breakdowns.length > 0) throw new FieldError("spec.breakdowns", `must be empty for ${kind}`);
  if (spec.breakdownLimit !== 0) throw new FieldError("spec.breakdown_limit", `must be unset for ${kind}`);
}

/** `value` when set, else `fallback`; refused outside [min, max]. */
export function boundedOrDefault(value: number, fallback: number, min: number, max: number, field: string): number {
  if (value === 0) return fallback;
  if (value < min || value > max) throw new FieldError(field, `${value} is out of range; ${min} to ${max} (0: ${fallback})`);
  return value;
}

/** Property names a flow node or top-K dimension may name. */
export const PROPERTY_NAME = /^\$?[a-zA-Z0-9_.-]+$/;

export function checkDimensionProperty(property: string, field: string): void {
  if (property === "") throw new FieldError(field, "required");
  if (property.length > 200) throw new FieldError(field, "longer than 200 characters");
  if (!PROPERTY_NAME.test(property)) throw new FieldError(field, "letters, digits, '_', '.' and '-' only, after an optional '$'");
}
