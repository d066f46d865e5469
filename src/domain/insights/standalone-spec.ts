// What the insights configured by a message of their own (user_flow, top_k, map) check in it: bounded numbers
// with defaults, and the property names they read.

import { FieldError } from "../field-error.ts";
import { checkPropertyName } from "./property-sql.ts";

/** `value` when set, else `fallback`; refused outside [min, max]. */
export function boundedOrDefault(value: number, fallback: number, min: number, max: number, field: string): number {
  if (value === 0) return fallback;
  if (value < min || value > max) throw new FieldError(field, `${value} is out of range; ${min} to ${max} (0: ${fallback})`);
  return value;
}

/** Property names a flow node or top-K dimension may name. */
export const PROPERTY_NAME = /^\$?[a-zA-Z0-9_.-]+$/;

export function checkDimensionProperty(property: string, field: string): void {
  checkPropertyName(property, field);
  if (!PROPERTY_NAME.test(property)) throw new FieldError(field, "letters, digits, '_', '.' and '-' only, after an optional '$'");
}
