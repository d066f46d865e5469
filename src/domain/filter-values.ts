// What every property filter's value fields must hold, whichever store it is run against (profile traits in
// Postgres, events in ClickHouse): IN, NOT_IN and the BETWEENs take `values`, IS_SET and IS_NOT_SET take nothing,
// the others one `value`.

import { FilterOperator, type PropertyFilter } from "../gen/common/v1/filters_pb.ts";
import { FieldError } from "./field-error.ts";

export const MAX_VALUES = 100;

/** Refuses value fields that do not fit the operator; `field` is where the filter is in the request. */
export function checkFilterValues(filter: Pick<PropertyFilter, "operator" | "value" | "values">, field: string): void {
  const op = filter.operator;
  const needsValues = op === FilterOperator.IN || op === FilterOperator.NOT_IN || op === FilterOperator.BETWEEN || op === FilterOperator.NOT_BETWEEN;
  const needsNothing = op === FilterOperator.IS_SET || op === FilterOperator.IS_NOT_SET;
  if (needsValues) {
    if (filter.value !== "") throw new FieldError(`${field}.value`, `must be empty for ${FilterOperator[op]}; use values`);
    if (filter.values.length === 0) throw new FieldError(`${field}.values`, `required for ${FilterOperator[op]}`);
    if (filter.values.length > MAX_VALUES) throw new FieldError(`${field}.values`, `${filter.values.length} values; at most ${MAX_VALUES}`);
  } else if (filter.values.length > 0) {
    throw new FieldError(`${field}.values`, `must be empty for ${FilterOperator[op] ?? op}`);
  }
  if (needsNothing && filter.value !== "") throw new FieldError(`${field}.value`, `must be empty for ${FilterOperator[op]}`);
}

/** A decimal number as written by a person: no hex, no Infinity, no blanks, at most a 3-digit exponent. */
export function isDecimal(value: string): boolean {
  return value.length <= 100 && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/.test(value);
}
