// MAP: one row per country (ISO 3166 alpha-2, the events' `$country`) by a metric, answered as top_k rows.
// Every country is listed (there are fewer than 300), so there is no "$others"; events without a country are
// left out.

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import type { InsightQuerySpec, MapQuery } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { eventFilterSql } from "./event-filter-sql.ts";
import { EVENTS } from "./event-scope.ts";
import type { InsightBuilder } from "./insight-plan.ts";
import { eventPropertyTerm } from "./property-sql.ts";
import { refuseUnusedParts } from "./spec-scope.ts";
import { insightEventScope } from "./event-scope.ts";
import { topKShape } from "./top-k.ts";
import { metricSql } from "./metric-sql.ts";
import { RANKED_ORDER, rankedSql } from "./top-k-sql.ts";

const FIELD = "spec.map";
/** More than there are country codes. */
const ALL_COUNTRIES = 1000;

function requireMap(spec: InsightQuerySpec): MapQuery {
  if (!spec.map) throw new FieldError(FIELD, "required for MAP");
  refuseUnusedParts(spec, "MAP", ["map"]);
  return spec.map;
}

export const buildMap: InsightBuilder = (input) => {
  const map = requireMap(input.spec);
  const scope = insightEventScope(input);
  const country = eventPropertyTerm("$country", PropertySource.AUTO, input.params, EVENTS).text;
  const metric = metricSql({ metric: map.metric, property: map.metricProperty, metricField: `${FIELD}.metric`, propertyField: `${FIELD}.metric_property`, perPersonAllowed: true }, scope);
  const scopeFilter = eventFilterSql(map.scope, scope.filters, `${FIELD}.scope`);
  const where = [scopeFilter, `${country} != ''`];
  const ranked = rankedSql({ dimension: country, metric, scope, where, limit: ALL_COUNTRIES, omitOthers: true, params: input.params });
  return { queries: [{ sql: `${ranked}\nORDER BY ${RANKED_ORDER}`, params: input.params.values }], shape: topKShape };
};
