// TOP_K: the busiest values of one dimension (an event property, the event kind, or the person) by a metric,
// with "$others" for the rest (see ./top-k-sql.ts). Events without the property count under '' (a direct visit's
// empty referrer is a value worth seeing). Rows of identified people carry their profile, read from the
// ClickHouse mirror in the same query (newest version, not deleted); anonymous people have none.

import { create, type JsonObject } from "@bufbuild/protobuf";
import { type InsightQuerySpec, type TopKQuery, TopKQuery_Dimension, TopKResultSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { eventFilterSql } from "./event-filter-sql.ts";
import { EVENTS, type EventScope, insightEventScope } from "./event-scope.ts";
import type { InsightBuilder, InsightInput, InsightPlan } from "./insight-plan.ts";
import { namedEventProperty } from "./property-sql.ts";
import { boundedOrDefault, checkDimensionProperty } from "./standalone-spec.ts";
import { refuseUnusedParts } from "./spec-scope.ts";
import { metricSql } from "./metric-sql.ts";
import { RANKED_ORDER, rankedSql } from "./top-k-sql.ts";

const FIELD = "spec.top_k";

function requireTopK(spec: InsightQuerySpec): TopKQuery {
  if (!spec.topK) throw new FieldError(FIELD, "required for TOP_K");
  refuseUnusedParts(spec, "TOP_K", ["top_k"]);
  return spec.topK;
}

function dimensionSql(topK: TopKQuery, scope: EventScope, input: InsightInput): string {
  const { dimension, property } = topK;
  if (dimension !== TopKQuery_Dimension.PROPERTY && property !== "") throw new FieldError(`${FIELD}.property`, "only for dimension PROPERTY");
  switch (dimension) {
    case TopKQuery_Dimension.PROPERTY: {
      checkDimensionProperty(property, `${FIELD}.property`);
      return namedEventProperty(property, input.params, EVENTS).text;
    }
    case TopKQuery_Dimension.EVENT_KIND:
      return `toString(${EVENTS}.kind)`;
    case TopKQuery_Dimension.USER:
      return scope.person();
    case TopKQuery_Dimension.UNSPECIFIED:
      throw new FieldError(`${FIELD}.dimension`, "required");
    default:
      throw new FieldError(`${FIELD}.dimension`, `unknown dimension ${dimension}`);
  }
}

/** The live profiles of the project, one row per person, for the USER rows. */
const PROFILES_SQL = (project: string) => `SELECT external_id, toString(argMax(profile_id, version)) AS profile_id, argMax(properties, version) AS properties
  FROM profiles WHERE project_id = ${project}
  GROUP BY external_id HAVING argMax(is_deleted, version) = 0`;

export const buildTopK: InsightBuilder = (input) => {
  const topK = requireTopK(input.spec);
  const scope = insightEventScope(input);
  const dimension = dimensionSql(topK, scope, input);
  const isUser = topK.dimension === TopKQuery_Dimension.USER;
  const metric = metricSql({ metric: topK.metric, property: topK.metricProperty, metricField: `${FIELD}.metric`, propertyField: `${FIELD}.metric_property`, perPersonAllowed: !isUser }, scope);
  const limit = boundedOrDefault(topK.limit, 10, 1, 100, `${FIELD}.limit`);
  const scopeFilter = eventFilterSql(topK.scope, scope.filters, `${FIELD}.scope`);
  const ranked = rankedSql({ dimension, metric, scope, where: [scopeFilter], limit, omitOthers: topK.omitOthers, params: input.params });
  const sql = isUser
    ? `SELECT t.dimension_value AS dimension_value, t.is_others AS is_others, t.value AS value,
  p.external_id AS profile_external_id, p.profile_id AS profile_id, p.properties AS profile_properties
FROM (${ranked}) AS t
LEFT JOIN (${PROFILES_SQL(input.params.project)}) AS p ON p.external_id = t.dimension_value
ORDER BY ${RANKED_ORDER}`
    : `${ranked}\nORDER BY ${RANKED_ORDER}`;
  return { queries: [{ sql, params: input.params.values }], shape: topKShape };
};

/** Rows of rankedSql (plus the profile columns for USER) → the top_k result. */
export const topKShape: InsightPlan["shape"] = ([rows]) => {
  const value = create(TopKResultSchema, {
    rows: rows!.map((row) => {
      const isOthers = Boolean(row.is_others);
      const identified = !isOthers && typeof row.profile_external_id === "string" && row.profile_external_id !== "";
      return {
        dimensionValue: String(row.dimension_value),
        value: Number(row.value),
        isOthers,
        profile: identified
          ? { id: String(row.profile_id), externalId: String(row.profile_external_id), properties: JSON.parse(String(row.profile_properties || "{}")) as JsonObject }
          : undefined,
      };
    }),
  });
  return { case: "topK", value };
};
