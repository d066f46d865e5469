// The SQL shared by TOP_K and MAP: one value per dimension value, ranked, the first `limit` kept and the rest
// summed into one "$others" row. The rest is re-aggregated from partial aggregation states, not added up from
// per-value results, so UNIQUE_USERS in "$others" counts each person once however many values they touched,
// and AVG/MIN/MAX of the rest are those of the rest's events. One scan of events.

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { AggregationType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { EVENTS, type EventScope } from "./event-scope.ts";
import { eventPropertyTerm } from "./property-sql.ts";
import type { QueryParams } from "./query-params.ts";
import { checkDimensionProperty } from "./standalone-spec.ts";

export const OTHERS_VALUE = "$others";

/** A metric as partial states: each `[column, aggregate function, argument]`, and the value they give. */
export interface MetricSql {
  states: [string, string, string][];
  /** The value from the states, each read through `read(column, function)`. */
  value(read: (column: string, fn: string) => string): string;
  /** Events the metric can read at all (numeric metrics: those with the number). */
  where: string;
}

export interface MetricRequest {
  metric: AggregationType;
  metricProperty: string;
  /** The request's field holding both, e.g. `spec.top_k` (its `metric`, `metric_property`). */
  field: string;
  /** Per-person metrics make no sense when each row is a person. */
  perPersonAllowed: boolean;
}

const NUMERIC: Partial<Record<AggregationType, string>> = {
  [AggregationType.SUM]: "sum",
  [AggregationType.AVG]: "avg",
  [AggregationType.MIN]: "min",
  [AggregationType.MAX]: "max",
};

export function metricSql(request: MetricRequest, scope: EventScope, params: QueryParams): MetricSql {
  const { metric, metricProperty, field } = request;
  const fn = NUMERIC[metric];
  if (fn) {
    checkDimensionProperty(metricProperty, `${field}.metric_property`);
    const source = metricProperty.startsWith("$") ? PropertySource.AUTO : PropertySource.CUSTOM;
    const number = eventPropertyTerm(metricProperty, source, params, EVENTS).number;
    return { states: [["s_n", fn, number]], value: (read) => read("s_n", fn), where: `(${number}) IS NOT NULL` };
  }
  if (metricProperty !== "") throw new FieldError(`${field}.metric_property`, "only for SUM, AVG, MIN and MAX");
  const perPerson = metric === AggregationType.UNIQUE_USERS || metric === AggregationType.PER_USER_AVG;
  if (perPerson && !request.perPersonAllowed) throw new FieldError(`${field}.metric`, `${AggregationType[metric]} is not available when each row is a user`);
  switch (metric) {
    case AggregationType.UNSPECIFIED:
    case AggregationType.TOTAL:
      return { states: [["s_c", "count", ""]], value: (read) => read("s_c", "count"), where: "1" };
    case AggregationType.UNIQUE_USERS:
      return { states: [["s_u", "uniqExact", scope.person()]], value: (read) => read("s_u", "uniqExact"), where: "1" };
    case AggregationType.PER_USER_AVG:
      return {
        states: [["s_c", "count", ""], ["s_u", "uniqExact", scope.person()]],
        value: (read) => `${read("s_c", "count")} / ${read("s_u", "uniqExact")}`,
        where: "1",
      };
    default:
      throw new FieldError(`${field}.metric`, `unknown aggregation ${metric}`);
  }
}

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
  const states = metric.states.map(([column, fn, arg]) => `${fn}State(${arg}) AS ${column}`).join(", ");
  const columns = metric.states.map(([column]) => column).join(", ");
  const finalValue = metric.value((column) => `finalizeAggregation(${column})`);
  const mergedValue = metric.value((column, fn) => `${fn}Merge(${column})`);
  const limit = input.params.add(input.limit, "UInt64");
  const where = [scope.where, metric.where, ...input.where].join(" AND ");
  return `SELECT if(rank > ${limit}, '${OTHERS_VALUE}', dimension) AS dimension_value, rank > ${limit} AS is_others, toFloat64(${mergedValue}) AS value
FROM (
  SELECT dimension, ${columns}, row_number() OVER (ORDER BY ${finalValue} DESC, dimension ASC) AS rank
  FROM (SELECT ${input.dimension} AS dimension, ${states} FROM ${scope.from()} WHERE ${where} GROUP BY dimension)
)
${input.omitOthers ? `WHERE rank <= ${limit}` : ""}
GROUP BY is_others, dimension_value`;
}

/** The order of the answer: by value, ties by dimension value, "$others" last. */
export const RANKED_ORDER = "is_others, value DESC, dimension_value";
