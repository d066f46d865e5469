// Property filters on events → a ClickHouse condition. Every name and value is a query parameter. Semantics match
// the profile list's filters (../profiles/profile-filter-sql.ts): EQUALS compares text, and also numbers when the
// value reads as one (so "3.0" finds 3); CONTAINS ignores case; the negations (NOT_EQUALS, NOT_CONTAINS, NOT_IN)
// also match events without the property; LT…GT and BETWEEN take numbers and match only numeric values.
//
// A PROFILE-source filter is about the person who did the event: it becomes `<person> IN (people whose current
// traits match)`, read from the profiles mirror, so the caller must join persons (../identity/person-sql.ts).

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { type EventFilter, FilterOperator, LogicalOperator, type PropertyFilter } from "../../gen/common/v1/filters_pb.ts";
import { FieldError } from "../field-error.ts";
import { checkFilterValues, isDecimal } from "../filter-values.ts";
import { checkPropertyName, eventPropertyTerm, type PropertyTerm, profileTraitTerm, resolvedSource } from "./property-sql.ts";
import type { QueryParams } from "./query-params.ts";

export const MAX_FILTERS = 50;
export const MAX_VALUE_LENGTH = 1000;
export const MAX_KIND_LENGTH = 200;

/** shared.insights.v1.FilterGroup and common.v1.FilterGroup alike. */
export interface FilterGroupLike {
  filters: PropertyFilter[];
  operator: LogicalOperator;
}

export interface FilterContext {
  params: QueryParams;
  /** The alias of the events table in the query. */
  events: string;
  /** The event's person, for PROFILE filters; records that the query must join persons. Absent: refused. */
  person?: () => string;
}

/** The current traits of the project's live profiles, one row per person (external id). */
export const LATEST_PROFILES_SQL = (project: string) => `SELECT external_id, argMax(property_texts, version) AS property_texts, argMax(property_numbers, version) AS property_numbers
  FROM profiles WHERE project_id = ${project}
  GROUP BY external_id HAVING argMax(is_deleted, version) = 0`;

/** True when any filter reads profile traits (the query must then resolve persons). */
export function usesProfile(filters: PropertyFilter[]): boolean {
  return filters.some((filter) => filter.source === PropertySource.PROFILE);
}

/** Filter groups combined by `operator`; `1` when there are none. `field` is where the groups are in the request. */
export function filterGroupsSql(groups: FilterGroupLike[], operator: LogicalOperator, ctx: FilterContext, field: string, operatorField: string): string {
  const total = groups.reduce((sum, group) => sum + group.filters.length, 0);
  if (total > MAX_FILTERS) throw new FieldError(field, `${total} filters; at most ${MAX_FILTERS} are allowed`);
  const parts = groups.flatMap((group, g) => {
    if (group.filters.length === 0) return [];
    const conditions = group.filters.map((filter, f) => propertyFilterSql(filter, ctx, `${field}[${g}].filters[${f}]`));
    return [combine(conditions, group.operator, `${field}[${g}].operator`)];
  });
  return parts.length === 0 ? "1" : combine(parts, operator, operatorField);
}

/** An event filter: its kind (when given) and all of its property filters. `1` when empty. */
export function eventFilterSql(filter: EventFilter | undefined, ctx: FilterContext, field: string): string {
  if (!filter) return "1";
  const parts: string[] = [];
  if (filter.kind !== "") {
    if (filter.kind.length > MAX_KIND_LENGTH) throw new FieldError(`${field}.kind`, `longer than ${MAX_KIND_LENGTH} characters`);
    parts.push(`${ctx.events}.kind = ${ctx.params.add(filter.kind, "String")}`);
  }
  if (filter.filters.length > MAX_FILTERS) throw new FieldError(`${field}.filters`, `${filter.filters.length} filters; at most ${MAX_FILTERS} are allowed`);
  filter.filters.forEach((propertyFilter, f) => parts.push(propertyFilterSql(propertyFilter, ctx, `${field}.filters[${f}]`)));
  return parts.length === 0 ? "1" : `(${parts.join(" AND ")})`;
}

/**
 * Events matching any of `filters` (`1` when there are none, or one matches everything). `fieldOf(i)` names the
 * i-th filter in the request; `listField` the list, whose length is bounded.
 */
export function anyEventFilterSql(filters: (EventFilter | undefined)[], ctx: FilterContext, listField: string, fieldOf: (i: number) => string): string {
  if (filters.length > MAX_FILTERS) throw new FieldError(listField, `${filters.length} event filters; at most ${MAX_FILTERS} are allowed`);
  const each = filters.map((filter, i) => eventFilterSql(filter, ctx, fieldOf(i)));
  if (each.length === 0 || each.includes("1")) return "1";
  return each.length === 1 ? each[0]! : `(${each.join(" OR ")})`;
}

/** Filters that must all hold (the activity feeds' `property_filters`). */
export function allFiltersSql(filters: PropertyFilter[], ctx: FilterContext, field: string): string {
  if (filters.length > MAX_FILTERS) throw new FieldError(field, `${filters.length} filters; at most ${MAX_FILTERS} are allowed`);
  if (filters.length === 0) return "1";
  return `(${filters.map((filter, f) => propertyFilterSql(filter, ctx, `${field}[${f}]`)).join(" AND ")})`;
}

function combine(conditions: string[], operator: LogicalOperator, field: string): string {
  if (operator !== LogicalOperator.UNSPECIFIED && operator !== LogicalOperator.AND && operator !== LogicalOperator.OR) {
    throw new FieldError(field, `unknown logical operator ${operator}`);
  }
  if (conditions.length === 1) return conditions[0]!;
  return `(${conditions.join(operator === LogicalOperator.OR ? " OR " : " AND ")})`;
}

export function propertyFilterSql(filter: PropertyFilter, ctx: FilterContext, field: string): string {
  checkPropertyName(filter.property, `${field}.property`);
  const source = resolvedSource(filter.property, filter.source, `${field}.source`);
  checkValues(filter, field);
  if (source !== PropertySource.PROFILE) return condition(filter, eventPropertyTerm(filter.property, source, ctx.params, ctx.events), ctx.params, field);
  if (!ctx.person) throw new FieldError(`${field}.source`, "PROFILE filters are not available here");
  const traits = condition(filter, profileTraitTerm(filter.property, ctx.params), ctx.params, field);
  return `(${ctx.person()} IN (SELECT external_id FROM (${LATEST_PROFILES_SQL(ctx.params.project)}) WHERE ${traits}))`;
}

function checkValues(filter: PropertyFilter, field: string): void {
  checkFilterValues(filter, field);
  if (filter.value.length > MAX_VALUE_LENGTH) throw new FieldError(`${field}.value`, `longer than ${MAX_VALUE_LENGTH} characters`);
  filter.values.forEach((value, i) => {
    if (value.length > MAX_VALUE_LENGTH) throw new FieldError(`${field}.values[${i}]`, `longer than ${MAX_VALUE_LENGTH} characters`);
  });
}

function condition(filter: PropertyFilter, term: PropertyTerm, params: QueryParams, field: string): string {
  const op = filter.operator;
  const number = (value: string, at: string) => {
    if (!isNumber(value)) throw new FieldError(at, `'${value}' is not a number; ${FilterOperator[op]} compares numbers`);
    return params.add(Number(value), "Float64");
  };
  const equals = (value: string) => {
    const text = `(${term.present} AND ${term.text} = ${params.add(value, "String")})`;
    return isNumber(value) ? `(${text} OR ifNull(${term.number} = ${params.add(Number(value), "Float64")}, 0))` : text;
  };
  const compare = (sign: string) => `ifNull(${term.number} ${sign} ${number(filter.value, `${field}.value`)}, 0)`;

  switch (op) {
    case FilterOperator.EQUALS:
      return equals(filter.value);
    case FilterOperator.NOT_EQUALS:
      return `NOT ${equals(filter.value)}`;
    case FilterOperator.CONTAINS:
    case FilterOperator.NOT_CONTAINS: {
      if (filter.value === "") throw new FieldError(`${field}.value`, `required for ${FilterOperator[op]}`);
      const contains = `(positionCaseInsensitiveUTF8(${term.text}, ${params.add(filter.value, "String")}) > 0)`;
      return op === FilterOperator.CONTAINS ? contains : `NOT ${contains}`;
    }
    case FilterOperator.IS_SET:
      return `(${term.isSet})`;
    case FilterOperator.IS_NOT_SET:
      return `NOT (${term.isSet})`;
    case FilterOperator.LT:
      return compare("<");
    case FilterOperator.LTE:
      return compare("<=");
    case FilterOperator.GT:
      return compare(">");
    case FilterOperator.GTE:
      return compare(">=");
    case FilterOperator.IN:
    case FilterOperator.NOT_IN: {
      const any = `(${filter.values.map(equals).join(" OR ")})`;
      return op === FilterOperator.IN ? any : `NOT ${any}`;
    }
    case FilterOperator.BETWEEN:
    case FilterOperator.NOT_BETWEEN: {
      if (filter.values.length !== 2) throw new FieldError(`${field}.values`, `${FilterOperator[op]} takes exactly 2 numbers, got ${filter.values.length}`);
      const [low, high] = filter.values as [string, string];
      const lowParam = number(low, `${field}.values[0]`);
      const highParam = number(high, `${field}.values[1]`);
      if (Number(low) > Number(high)) throw new FieldError(`${field}.values`, `${low} is greater than ${high}; give the lower bound first`);
      const between = `(${term.number} BETWEEN ${lowParam} AND ${highParam})`;
      return op === FilterOperator.BETWEEN ? `ifNull(${between}, 0)` : `ifNull(NOT ${between}, 0)`;
    }
    default:
      throw new FieldError(`${field}.operator`, op === FilterOperator.UNSPECIFIED ? "required" : `unknown operator ${op}`);
  }
}

/** A finite decimal number (no hex, no Infinity, no blanks): ClickHouse compares it as a Float64. */
export function isNumber(value: string): boolean {
  return isDecimal(value) && Number.isFinite(Number(value));
}
