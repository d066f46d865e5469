// How events become one number, as partial aggregation states: TOTAL, UNIQUE_USERS (persons, aliases resolved),
// PER_USER_AVG (events per person), SUM/AVG/MIN/MAX of a numeric property. States let a query aggregate once per
// group (bucket × breakdown combination, or dimension value) and then merge groups (a breakdown's "$others", a
// ranking over the whole window) without reading events again, and without adding up uniques: UNIQUE_USERS of
// merged groups counts each person once. Used by trends, segmentation, top-K and map.

import { AggregationType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { EVENTS, type EventScope } from "./event-scope.ts";
import { namedEventProperty } from "./property-sql.ts";
import { checkDimensionProperty } from "./standalone-spec.ts";

/** A metric as partial states: each `[column, aggregate function, argument]`, and the value they give. */
export interface MetricSql {
  states: [string, string, string][];
  /** The value from the states, each read through `read(column, function)` (Float64 once wrapped in toFloat64). */
  value(read: (column: string, fn: string) => string): string;
  /** Events the metric can read at all (numeric metrics: those with the number); `1` for all. */
  where: string;
}

export interface MetricRequest {
  metric: AggregationType;
  property: string;
  /** Where the metric and its property are in the request (`spec.events[0].aggregation`, `…aggregation_property`). */
  metricField: string;
  propertyField: string;
  /** Per-person metrics make no sense when each row is a person (top-K by user). */
  perPersonAllowed: boolean;
}

const NUMERIC: Partial<Record<AggregationType, string>> = {
  [AggregationType.SUM]: "sum",
  [AggregationType.AVG]: "avg",
  [AggregationType.MIN]: "min",
  [AggregationType.MAX]: "max",
};

export function metricSql(request: MetricRequest, scope: EventScope): MetricSql {
  const { metric, property } = request;
  const fn = NUMERIC[metric];
  if (fn) {
    if (property === "") throw new FieldError(request.propertyField, `required for ${AggregationType[metric]} (the numeric property it reads)`);
    checkDimensionProperty(property, request.propertyField);
    const number = namedEventProperty(property, scope.filters.params, EVENTS).number;
    return { states: [["s_n", fn, `assumeNotNull(${number})`]], value: (read) => read("s_n", fn), where: `(${number}) IS NOT NULL` };
  }
  // A property sent with another metric (a dashboard switching from SUM to TOTAL may keep it) is checked, not used.
  if (property !== "") checkDimensionProperty(property, request.propertyField);
  const perPerson = metric === AggregationType.UNIQUE_USERS || metric === AggregationType.PER_USER_AVG;
  if (perPerson && !request.perPersonAllowed) throw new FieldError(request.metricField, `${AggregationType[metric]} is not available when each row is a user`);
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
      throw new FieldError(request.metricField, `unknown aggregation ${metric}`);
  }
}

/** `fnState(arg) AS column, …`: the states, to select while grouping. */
export function stateColumns(metric: MetricSql): string {
  return metric.states.map(([column, fn, arg]) => `${fn}State(${arg}) AS ${column}`).join(", ");
}

/** The metric over merged states (grouping again over rows holding the state columns). */
export function mergedValue(metric: MetricSql, over = ""): string {
  return `toFloat64(${metric.value((column, fn) => `${fn}Merge(${column})${over}`)})`;
}

/** The metric of one row's states. */
export function finalValue(metric: MetricSql): string {
  return `toFloat64(${metric.value((column) => `finalizeAggregation(${column})`)})`;
}

/** The metric aggregated directly over events (no states). */
export function directValue(metric: MetricSql): string {
  const args = new Map(metric.states.map(([column, , arg]) => [column, arg]));
  return `toFloat64(${metric.value((column, fn) => `${fn}(${args.get(column)})`)})`;
}
