// TRENDS: one series per event query and breakdown combination, a point per time bucket that has events (sparse,
// no zero fill), the bucket's instant as the point's time. An event query without a kind reads every event and
// its series' event_kind is "". No event queries: one series of all events, TOTAL. Breakdowns are per event
// (each event counts under its own values); each event query ranks its own combinations over the whole window
// and folds the rest into "$others" (./breakdowns.ts). `spec.session` makes it a session trend
// (./session-metrics.ts).

import { create } from "@bufbuild/protobuf";
import { type EventQuery, TrendsResultSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { aggregationSql } from "./aggregation.ts";
import { breakdownLimit, breakdownTerms, checkBreakdowns, combinationSql, rankedSeriesSql, trendSeries } from "./breakdowns.ts";
import { eventFilterSql } from "./event-filter-sql.ts";
import { EVENTS } from "./event-scope.ts";
import type { InsightInput, InsightPlan } from "./insight-plan.ts";
import { sessionPlan } from "./session-metrics.ts";
import { eventQueries, refuseUnusedParts } from "./spec-scope.ts";
import { bucketSql } from "./time-window.ts";
import { insightEventScope } from "./event-scope.ts";

export function buildTrends(input: InsightInput): InsightPlan {
  const { spec, params } = input;
  refuseUnusedParts(spec, "TRENDS", ["events", "session", "breakdowns", "breakdown_limit"]);
  if (spec.session) return sessionPlan(input, "trends");
  checkBreakdowns(spec);
  const queries = eventQueries(spec);
  const sqls = queries.map((query, i) => trendSql(input, query, `spec.events[${i}]`));
  return {
    queries: sqls.map((sql) => ({ sql, params: params.values })),
    shape: (rows) => ({ case: "trends", value: create(TrendsResultSchema, { series: queries.flatMap((query, i) => trendSeries(spec, query.event?.kind ?? "", rows[i] ?? [])) }) }),
  };
}

function trendSql(input: InsightInput, query: EventQuery, field: string): string {
  const { spec, params, window } = input;
  const scope = insightEventScope(input);
  const terms = breakdownTerms(spec, EVENTS, params);
  const matches = eventFilterSql(query.event, scope.filters, `${field}.event`);
  const metric = aggregationSql(query, scope, field);
  const where = [scope.where, matches, metric.where].filter((condition) => condition !== "1").join(" AND ");
  return rankedSeriesSql({
    from: scope.from(),
    where,
    bucket: bucketSql(window, params, `${EVENTS}.occurred_at`),
    combo: combinationSql(terms),
    metric,
    breakdownCount: terms.length,
    limit: breakdownLimit(spec),
    params,
  });
}
