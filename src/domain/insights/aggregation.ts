// How an event query turns its events into a number. The builder selects the columns `columns` names into a row
// subquery and aggregates those rows with `value`:
//   TOTAL         events
//   UNIQUE_USERS  distinct persons (anonymous ids linked to a person count as that person)
//   PER_USER_AVG  events / distinct persons
//   SUM…MAX       of a numeric property (`aggregation_property`, `$name` automatic, other names custom); only
//                 events where that property holds a number are read, so a bucket without one has no point
//                 rather than a made-up 0.

import { AggregationType, type EventQuery } from "../../gen/shared/insights/v1/insights_pb.ts";
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FieldError } from "../field-error.ts";
import type { EventScope } from "./event-scope.ts";
import { eventPropertyTerm } from "./property-sql.ts";
import { checkDimensionProperty } from "./standalone-spec.ts";
import { EVENTS } from "./event-scope.ts";

export interface AggregationSql {
  /** Expressions to select into the row subquery (named `person`, `num`). */
  columns: string[];
  /** A condition rows must meet (`1` when none). */
  where: string;
  /** The aggregate over the row subquery (Float64). */
  value: string;
}

const NUMERIC: Partial<Record<AggregationType, string>> = {
  [AggregationType.SUM]: "sum",
  [AggregationType.AVG]: "avg",
  [AggregationType.MIN]: "min",
  [AggregationType.MAX]: "max",
};

/** The aggregation of an event query; `field` is where it is in the request (`spec.events[0]`). */
export function aggregationSql(query: EventQuery, scope: EventScope, field: string): AggregationSql {
  const aggregation = query.aggregation === AggregationType.UNSPECIFIED ? AggregationType.TOTAL : query.aggregation;
  if (query.aggregationProperty !== "") checkDimensionProperty(query.aggregationProperty, `${field}.aggregation_property`);
  switch (aggregation) {
    case AggregationType.TOTAL:
      return { columns: [], where: "1", value: "toFloat64(count())" };
    case AggregationType.UNIQUE_USERS:
      return { columns: [`${scope.person()} AS person`], where: "1", value: "toFloat64(uniqExact(person))" };
    case AggregationType.PER_USER_AVG:
      return { columns: [`${scope.person()} AS person`], where: "1", value: "count() / uniqExact(person)" };
    case AggregationType.SUM:
    case AggregationType.AVG:
    case AggregationType.MIN:
    case AggregationType.MAX: {
      const property = query.aggregationProperty;
      const propertyField = `${field}.aggregation_property`;
      if (property === "") throw new FieldError(propertyField, `required for ${AggregationType[aggregation]} (the numeric property it reads)`);
      const source = property.startsWith("$") ? PropertySource.AUTO : PropertySource.CUSTOM;
      const number = eventPropertyTerm(property, source, scope.filters.params, EVENTS).number;
      return { columns: [`${number} AS num`], where: `${number} IS NOT NULL`, value: `toFloat64(${NUMERIC[aggregation]}(assumeNotNull(num)))` };
    }
    default:
      throw new FieldError(`${field}.aggregation`, `unknown aggregation ${query.aggregation}`);
  }
}
