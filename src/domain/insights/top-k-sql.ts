// The SQL shared by TOP_K and MAP: one value per dimension value, ranked, the first `limit` kept and the rest
// summed into one "$others" row. The rest is re-aggregated from partial aggregation states, not added up from
// per-value results, so UNIQUE_USERS in "$others" counts each person once however many values they touched,
// and AVG/MIN/MAX of the rest are those of the rest's events. One scan of events.

import { OTHERS } from "./breakdowns.ts";
import type { EventScope } from "./event-scope.ts";
import { finalValue, type MetricSql, mergedValue, stateColumns } from "./metric-sql.ts";
import type { QueryParams } from "./query-params.ts";

export interface RankedInput {
  /** The dimension (String). */
  dimension: string;
  metric: MetricSql;
  scope: EventScope;
  /** More conditions on the events (scope filter, non-empty dimension). */
  where: string[];
  limit: number;
  omitOthers: boolean;
  params: QueryParams;
}

/**
 * Rows `dimension_value`, `is_others`, `value`: the first `limit` values by value (ties by dimension value), then
 * the "$others" row unless omitted. Call after every condition was built (it takes `scope.from()`).
 */
export function rankedSql(input: RankedInput): string {
  const { metric, scope } = input;
  const states = stateColumns(metric);
  const columns = metric.states.map(([column]) => column).join(", ");
  const limit = input.params.add(input.limit, "UInt64");
  const where = [scope.where, metric.where, ...input.where].join(" AND ");
  return `SELECT if(rank > ${limit}, '${OTHERS}', dimension) AS dimension_value, rank > ${limit} AS is_others, ${mergedValue(metric)} AS value
FROM (
  SELECT dimension, ${columns}, row_number() OVER (ORDER BY ${finalValue(metric)} DESC, dimension ASC) AS rank
  FROM (SELECT ${input.dimension} AS dimension, ${states} FROM ${scope.from()} WHERE ${where} GROUP BY dimension)
)
${input.omitOthers ? `WHERE rank <= ${limit}` : ""}
GROUP BY is_others, dimension_value`;
}

/** The order of the answer: by value, ties by dimension value, "$others" last. */
export const RANKED_ORDER = "is_others, value DESC, dimension_value";
