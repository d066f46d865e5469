// Session metrics (`spec.session`, TRENDS or SEGMENTATION, no event queries). A session is the events sharing a
// non-empty session_id (cookieless events carry none, so they never form sessions); its start is its first event.
// Sessions are chosen by start time and never clipped: a session starting in the window counts all its events,
// even those after the window's end, and one that started before the window does not count at all. To keep the
// scan bounded, events are read from SESSION_REACH_MS before the window to SESSION_REACH_MS after it: a session
// longer than that (the SDK ends a session after inactivity, so this is far beyond real sessions) is measured on
// the events within reach.
//
// `session.scope` (kind and filters) and the filter groups pick the events that take part, so a session is
// measured on its matching events only (e.g. scope page_view: bounce = one page view). Metrics:
//   SESSIONS                sessions started
//   AVG_DURATION            mean of (last − first event) in seconds
//   BOUNCE_RATE             percent of sessions with exactly one (scoped) event
//   AVG_EVENTS_PER_SESSION  mean number of (scoped) events per session
//   ENTRY / EXIT            sessions per value of the one breakdown on their first / last event (entry / exit page
//                           with `$pathname`); TRENDS only.
// Trends bucket sessions by their start; a breakdown takes the session's first event's value (EXIT: its last).
// A series' event_kind is the scope's kind, or "$session" without one.

import { create } from "@bufbuild/protobuf";
import { type InsightQuerySpec, SegmentationResultSchema, SessionMetric, TrendsResultSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { breakdownLimit, breakdownTerms, checkBreakdowns, combinationSql, rankedSeriesSql, trendSeries } from "./breakdowns.ts";
import { eventFilterSql } from "./event-filter-sql.ts";
import { EVENTS } from "./event-scope.ts";
import type { InsightInput, InsightPlan } from "./insight-plan.ts";
import { directValue, type MetricSql } from "./metric-sql.ts";
import { bucketSql, rangeCondition } from "./time-window.ts";
import { insightEventScope } from "./event-scope.ts";

export const SESSION_REACH_MS = 24 * 3_600_000;
export const ALL_EVENTS_SESSION_KIND = "$session";

/** Metrics over the per-session rows (`event_count`, `started`, `ended`), as partial states (./metric-sql.ts). */
const count: MetricSql = { states: [["s_c", "count", ""]], value: (read) => read("s_c", "count"), where: "1" };
const METRIC: Record<Exclude<SessionMetric, SessionMetric.UNSPECIFIED>, MetricSql> = {
  [SessionMetric.SESSIONS]: count,
  [SessionMetric.AVG_DURATION]: {
    states: [["s_d", "avg", "(toUnixTimestamp64Milli(ended) - toUnixTimestamp64Milli(started)) / 1000"]],
    value: (read) => read("s_d", "avg"),
    where: "1",
  },
  [SessionMetric.BOUNCE_RATE]: {
    states: [["s_b", "countIf", "event_count = 1"], ["s_c", "count", ""]],
    value: (read) => `${read("s_b", "countIf")} * 100 / ${read("s_c", "count")}`,
    where: "1",
  },
  [SessionMetric.ENTRY]: count,
  [SessionMetric.EXIT]: count,
  [SessionMetric.AVG_EVENTS_PER_SESSION]: { states: [["s_e", "avg", "event_count"]], value: (read) => read("s_e", "avg"), where: "1" },
};

export function sessionPlan(input: InsightInput, result: "trends" | "segmentation"): InsightPlan {
  const { spec, params } = input;
  const metric = checkSession(spec, result);
  const value = METRIC[metric];
  const sessions = sessionRowsSql(input, metric);
  if (result === "segmentation") {
    return {
      queries: [{ sql: `SELECT if(count() = 0, 0, ${directValue(value)}) AS value FROM (${sessions})`, params: params.values }],
      shape: (rows) => ({ case: "segmentation", value: create(SegmentationResultSchema, { total: finiteOrZero(rows[0]?.[0]?.value) }) }),
    };
  }
  const sql = rankedSeriesSql({
    from: `(${sessions})`,
    where: "1",
    bucket: bucketSql(input.window, params, "started"),
    combo: "combo",
    metric: value,
    rankBy: count,
    breakdownCount: spec.breakdowns.length,
    limit: breakdownLimit(spec),
    params,
  });
  const kind = spec.session?.scope?.kind || ALL_EVENTS_SESSION_KIND;
  return {
    queries: [{ sql, params: params.values }],
    shape: (rows) => ({ case: "trends", value: create(TrendsResultSchema, { series: trendSeries(spec, kind, rows[0] ?? []) }) }),
  };
}

function checkSession(spec: InsightQuerySpec, result: "trends" | "segmentation"): Exclude<SessionMetric, SessionMetric.UNSPECIFIED> {
  const metric = spec.session?.metric ?? SessionMetric.UNSPECIFIED;
  if (metric === SessionMetric.UNSPECIFIED) throw new FieldError("spec.session.metric", "required");
  if (!Object.hasOwn(METRIC, metric)) throw new FieldError("spec.session.metric", `unknown session metric ${metric}`);
  if (spec.events.length > 0) throw new FieldError("spec.events", "must be empty with spec.session (a session metric reads sessions, not event queries)");
  checkBreakdowns(spec);
  const pageMetric = metric === SessionMetric.ENTRY || metric === SessionMetric.EXIT;
  if (pageMetric && (result !== "trends" || spec.breakdowns.length !== 1)) {
    throw new FieldError("spec.breakdowns", `${SessionMetric[metric]} needs TRENDS with exactly one breakdown (the entry or exit property, e.g. $pathname)`);
  }
  return metric;
}

/** One row per session that started in the window: started, ended, event_count, combo (its breakdown values). */
function sessionRowsSql(input: InsightInput, metric: SessionMetric): string {
  const { spec, params, window } = input;
  const scope = insightEventScope({ ...input, window: { ...window, fromMs: window.fromMs - SESSION_REACH_MS, toMs: window.toMs + SESSION_REACH_MS } });
  const matches = eventFilterSql(spec.session?.scope, scope.filters, "spec.session.scope");
  const pick = metric === SessionMetric.EXIT ? "argMax" : "argMin";
  const combo = `${pick}(${combinationSql(breakdownTerms(spec, EVENTS, params))}, ${EVENTS}.occurred_at)`;
  const where = [scope.where, `${EVENTS}.session_id != ''`, matches].filter((condition) => condition !== "1").join(" AND ");
  return `SELECT ${EVENTS}.session_id AS session, min(${EVENTS}.occurred_at) AS started, max(${EVENTS}.occurred_at) AS ended, count() AS event_count, ${combo} AS combo
FROM ${scope.from()} WHERE ${where}
GROUP BY session HAVING ${rangeCondition(window, params, "started")}`;
}

export function finiteOrZero(value: unknown): number {
  const number = Number(value ?? 0);
  return Number.isFinite(number) ? number : 0;
}
