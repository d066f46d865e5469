// Filter groups on profile traits (a jsonb object) → a SQL condition with $n placeholders and its parameters.
// Every user-given string, the trait names included, is a parameter. A trait is compared by its own JSON type:
// a number as a number, a boolean as a boolean, a string as a string, so `3` matches the number 3 and the string
// "3", and "true" matches true and "true". Each comparison is guarded by a CASE on the type, so no cast can fail
// on a row whose value is of another type (Postgres does not promise to evaluate AND/OR left to right).
//
// Parameters are cast from text in the SQL (`$n::text::numeric`): a bare `$n::boolean` would make the driver
// serialise the string "true" as a boolean parameter, which it does not read as true.
//
// Negations (NOT_EQUALS, NOT_CONTAINS, NOT_IN) also match profiles without the trait. The order comparisons and
// BETWEEN / NOT_BETWEEN take numbers and match only numeric traits.

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FieldError } from "../field-error.ts";
import { checkFilterValues, isDecimal } from "../filter-values.ts";
import { FilterOperator, type FilterGroup, LogicalOperator } from "../../gen/common/v1/filters_pb.ts";

export const MAX_FILTERS = 50;
export const MAX_PROPERTY_LENGTH = 200;

export interface SqlCondition {
  /** A boolean SQL expression; `TRUE` without filters. */
  text: string;
  params: string[];
}

type Filter = FilterGroup["filters"][number];

/**
 * `column` is the jsonb column holding the traits (trusted, from our code); placeholders start after `paramsBefore`.
 * Empty groups are ignored.
 */
export function profileFilterSql(groups: FilterGroup[], groupsOperator: LogicalOperator, column: string, paramsBefore = 0): SqlCondition {
  const total = groups.reduce((sum, group) => sum + group.filters.length, 0);
  if (total > MAX_FILTERS) throw new FieldError("filter_groups", `${total} filters; at most ${MAX_FILTERS} are allowed`);
  const params: string[] = [];
  const param = (value: string) => {
    params.push(value);
    return `$${paramsBefore + params.length}`;
  };
  const parts = groups.flatMap((group, g) => {
    if (group.filters.length === 0) return [];
    const conditions = group.filters.map((filter, f) => condition(filter, `filter_groups[${g}].filters[${f}]`, column, param));
    return [combine(conditions, group.operator, `filter_groups[${g}].operator`)];
  });
  return { text: parts.length === 0 ? "TRUE" : combine(parts, groupsOperator, "filter_groups_operator"), params };
}

function combine(conditions: string[], operator: LogicalOperator, field: string): string {
  if (operator !== LogicalOperator.UNSPECIFIED && operator !== LogicalOperator.AND && operator !== LogicalOperator.OR) {
    throw new FieldError(field, `unknown logical operator ${operator}`);
  }
  if (conditions.length === 1) return conditions[0]!;
  return `(${conditions.join(operator === LogicalOperator.OR ? " OR " : " AND ")})`;
}

function condition(filter: Filter, field: string, column: string, param: (value: string) => string): string {
  if (filter.source !== PropertySource.UNSPECIFIED && filter.source !== PropertySource.PROFILE) {
    const name = PropertySource[filter.source] ?? String(filter.source);
    throw new FieldError(`${field}.source`, `List filters on profile traits only (source PROFILE, or unspecified); ${name} properties belong to events`);
  }
  if (filter.property === "") throw new FieldError(`${field}.property`, "required");
  if (filter.property.length > MAX_PROPERTY_LENGTH) throw new FieldError(`${field}.property`, `longer than ${MAX_PROPERTY_LENGTH} characters`);
  const op = filter.operator;
  checkFilterValues(filter, field);

  const trait = `(${column} -> ${param(filter.property)}::text)`;
  const typed = (type: string, cast: string) => `CASE WHEN jsonb_typeof(${trait}) = '${type}' THEN ${trait}${cast} END`;
  const number = (value: string, at: string) => {
    if (!isDecimal(value)) throw new FieldError(at, `'${value}' is not a number; ${FilterOperator[op]} compares numbers`);
    return `${param(value)}::text::numeric`;
  };
  const equals = (value: string) => {
    // The string comparison always applies; the number and boolean ones only when the value reads as one.
    const branches = [`${typed("string", " #>> '{}'")} = ${param(value)}::text`];
    if (isDecimal(value)) branches.push(`${typed("number", "::numeric")} = ${param(value)}::text::numeric`);
    if (value === "true" || value === "false") branches.push(`${typed("boolean", "::boolean")} = ${param(value)}::text::boolean`);
    return branches.length === 1 ? branches[0]! : `(${branches.join(" OR ")})`;
  };
  const isSet = `coalesce(jsonb_typeof(${trait}), 'null') <> 'null'`;
  const numeric = typed("number", "::numeric");

  switch (op) {
    case FilterOperator.EQUALS:
      return equals(filter.value);
    case FilterOperator.NOT_EQUALS:
      return `(${equals(filter.value)}) IS NOT TRUE`;
    case FilterOperator.CONTAINS:
    case FilterOperator.NOT_CONTAINS: {
      if (filter.value === "") throw new FieldError(`${field}.value`, `required for ${FilterOperator[op]}`);
      const contains = `strpos(lower(${typed("string", " #>> '{}'")}), lower(${param(filter.value)}::text)) > 0`;
      return op === FilterOperator.CONTAINS ? contains : `(${contains}) IS NOT TRUE`;
    }
    case FilterOperator.IS_SET:
      return isSet;
    case FilterOperator.IS_NOT_SET:
      return `NOT (${isSet})`;
    case FilterOperator.LT:
      return `${numeric} < ${number(filter.value, `${field}.value`)}`;
    case FilterOperator.LTE:
      return `${numeric} <= ${number(filter.value, `${field}.value`)}`;
    case FilterOperator.GT:
      return `${numeric} > ${number(filter.value, `${field}.value`)}`;
    case FilterOperator.GTE:
      return `${numeric} >= ${number(filter.value, `${field}.value`)}`;
    case FilterOperator.IN:
    case FilterOperator.NOT_IN: {
      const any = `(${filter.values.map(equals).join(" OR ")})`;
      return op === FilterOperator.IN ? any : `${any} IS NOT TRUE`;
    }
    case FilterOperator.BETWEEN:
    case FilterOperator.NOT_BETWEEN: {
      if (filter.values.length !== 2) throw new FieldError(`${field}.values`, `${FilterOperator[op]} takes exactly 2 numbers, got ${filter.values.length}`);
      const [low, high] = filter.values as [string, string];
      const lowParam = number(low, `${field}.values[0]`);
      const highParam = number(high, `${field}.values[1]`);
      if (Number(low) > Number(high)) throw new FieldError(`${field}.values`, `${low} is greater than ${high}; give the lower bound first`);
      const between = `${numeric} BETWEEN ${lowParam} AND ${highParam}`;
      return op === FilterOperator.BETWEEN ? between : `(${numeric} IS NOT NULL AND NOT (${between}))`;
    }
    default:
      throw new FieldError(`${field}.operator`, op === FilterOperator.UNSPECIFIED ? "required" : `unknown operator ${op}`);
  }
}
