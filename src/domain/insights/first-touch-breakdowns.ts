// Breakdowns of person-based insights (funnels, retention) by first touch: each person takes the values of their
// earliest event the insight reads (argMin(value, occurred_at)), so one person sits in exactly one combination.
// The `limit` combinations with the most persons keep their values; every other person goes to one "$others"
// combination (each breakdown "$others"). As persons do not overlap between combinations, "$others" counts each
// person once without any union of sets. Ranking ties break on the values, ascending.

import type { InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FieldError } from "../field-error.ts";
import { checkPropertyName, eventPropertyTerm, resolvedSource } from "./property-sql.ts";
import type { QueryParams } from "./query-params.ts";

export const MAX_BREAKDOWNS = 5;
export const DEFAULT_BREAKDOWN_LIMIT = 10;
export const MAX_BREAKDOWN_LIMIT = 100;
export const OTHERS = "$others";

export interface FirstTouchBreakdowns {
  properties: string[];
  /** Select items for a per-person GROUP BY over events `e`: `argMin(<value>, e.occurred_at) AS b0`, … */
  columns: string[];
  /** The group columns the final aggregation groups by (`g0`, …; none without breakdowns). */
  groups: string[];
  /** Wraps a per-person query holding b0… so that it also holds g0…: the value, or "$others" past the limit. */
  ranked(perPersonSql: string): string;
  /** The breakdown map of a result row (reads g0…). */
  breakdownOf(row: Record<string, unknown>): Record<string, string>;
}

/**
 * `among`: the condition of the events that count as touches (retention: the start events), when the per-person
 * query also reads other events; all of them otherwise.
 */
export function firstTouchBreakdowns(spec: InsightQuerySpec, params: QueryParams, events = "e", among?: string): FirstTouchBreakdowns {
  const properties = checkedBreakdowns(spec);
  const limit = breakdownLimit(spec.breakdownLimit);
  const values = properties.map((_, i) => `b${i}`);
  const groups = properties.map((_, i) => `g${i}`);
  const columns = properties.map((property, i) => {
    const source = resolvedSource(property, PropertySource.UNSPECIFIED, `spec.breakdowns[${i}].property`) as PropertySource.AUTO | PropertySource.CUSTOM;
    const value = eventPropertyTerm(property, source, params, events).text;
    return among ? `argMinIf(${value}, ${events}.occurred_at, ${among}) AS b${i}` : `argMin(${value}, ${events}.occurred_at) AS b${i}`;
  });
  return {
    properties,
    columns,
    groups,
    ranked(perPersonSql) {
      if (properties.length === 0) return perPersonSql;
      const kept = params.add(limit, "UInt32");
      const grouped = values.map((value, i) => `if(combo_rank <= ${kept}, ${value}, '${OTHERS}') AS g${i}`).join(", ");
      return `SELECT *, ${grouped}
  FROM (SELECT *, dense_rank() OVER (ORDER BY combo_persons DESC, ${values.join(", ")}) AS combo_rank
    FROM (SELECT *, count() OVER (PARTITION BY ${values.join(", ")}) AS combo_persons FROM (${perPersonSql})))`;
    },
    breakdownOf(row) {
      return Object.fromEntries(properties.map((property, i) => [property, String(row[`g${i}`] ?? "")]));
    },
  };
}

/** The breakdown properties: at most 5, each named, each once. */
export function checkedBreakdowns(spec: InsightQuerySpec): string[] {
  if (spec.breakdowns.length > MAX_BREAKDOWNS) throw new FieldError("spec.breakdowns", `${spec.breakdowns.length} breakdowns; at most ${MAX_BREAKDOWNS}`);
  const seen = new Set<string>();
  return spec.breakdowns.map(({ property }, i) => {
    const field = `spec.breakdowns[${i}].property`;
    checkPropertyName(property, field);
    if (seen.has(property)) throw new FieldError(field, `'${property}' is already a breakdown`);
    seen.add(property);
    return property;
  });
}

/** 0 means the default of 10; at most 100. */
export function breakdownLimit(limit: number): number {
  if (limit < 0 || limit > MAX_BREAKDOWN_LIMIT) throw new FieldError("spec.breakdown_limit", `${limit}; 0 (default ${DEFAULT_BREAKDOWN_LIMIT}) to ${MAX_BREAKDOWN_LIMIT}`);
  return limit === 0 ? DEFAULT_BREAKDOWN_LIMIT : limit;
}
