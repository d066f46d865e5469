// How an event query of TRENDS or SEGMENTATION turns its events into a number (`aggregation`, and for SUM…MAX the
// numeric `aggregation_property`): the shared metric (./metric-sql.ts) under the event query's field names.
//   TOTAL         events
//   UNIQUE_USERS  distinct persons (anonymous ids linked to a person count as that person)
//   PER_USER_AVG  events / distinct persons
//   SUM…MAX       of a numeric property (`$name` automatic, other names custom); only events where that
//                 property holds a number are read, so a bucket without one has no point rather than a made-up 0.

import type { EventQuery } from "../../gen/shared/insights/v1/insights_pb.ts";
import type { EventScope } from "./event-scope.ts";
import { type MetricSql, metricSql } from "./metric-sql.ts";

/** The aggregation of an event query; `field` is where it is in the request (`spec.events[0]`). */
export function aggregationSql(query: EventQuery, scope: EventScope, field: string): MetricSql {
  return metricSql(
    { metric: query.aggregation, property: query.aggregationProperty, metricField: `${field}.aggregation`, propertyField: `${field}.aggregation_property`, perPersonAllowed: true },
    scope,
  );
}
