// Breakdowns of person-based insights (funnels, retention) by first touch: each person takes the values of their
// earliest event the insight reads (argMin(value, occurred_at)), so one person sits in exactly one combination.
// The `limit` combinations with the most persons keep their values; every other person goes to one "$others"
// combination (each breakdown "$others"). As persons do not overlap between combinations, "$others" counts each
// person once without any union of sets. Ranking ties break on the values, ascending.

import type { InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { breakdownLimit, checkBreakdowns, OTHERS } from "./breakdowns.ts";
import { namedEventProperty } from "./property-sql.ts";
import type { QueryParams } from "./query-params.ts";

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
  checkBreakdowns(spec);
  const properties = spec.breakdowns.map(({ property }) => property);
  const limit = breakdownLimit(spec);
  const values = properties.map((_, i) => `b${i}`);
  const groups = properties.map((_, i) => `g${i}`);
  const columns = properties.map((property, i) => {
    const value = namedEventProperty(property, params, events).text;
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
