import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { Granularity, InsightQuerySpecSchema, InsightType, SessionMetric } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { QueryParams } from "./query-params.ts";
import { SESSION_REACH_MS, sessionPlan } from "./session-metrics.ts";

const PROJECT = "6f1c1d8e-0000-4000-8000-000000000001";
const window = { fromMs: Date.UTC(2026, 2, 1), toMs: Date.UTC(2026, 2, 8), granularity: Granularity.DAY, timezone: "UTC" };
const plan = (spec: MessageInitShape<typeof InsightQuerySpecSchema>, result: "trends" | "segmentation" = "trends") =>
  sessionPlan({ spec: create(InsightQuerySpecSchema, { insightType: InsightType.TRENDS, ...spec }), window, params: new QueryParams(PROJECT) }, result);

describe("session metrics", () => {
  test("sessions are read with reach around the window and chosen by their start", () => {
    const { sql, params } = plan({ session: { metric: SessionMetric.BOUNCE_RATE, scope: { kind: "page_view" } } }, "segmentation").queries[0]!;
    expect(sql).toStartWith("SELECT if(count() = 0, 0, toFloat64(countIf(event_count = 1) * 100 / count())) AS value FROM (SELECT e.session_id AS session, min(e.occurred_at) AS started");
    expect(sql).toContain("e.session_id != '' AND (e.kind = {p2:String})");
    expect(sql).toContain("GROUP BY session HAVING started >= fromUnixTimestamp64Milli({p3:Int64}, 'UTC') AND started < fromUnixTimestamp64Milli({p4:Int64}, 'UTC')");
    expect(params).toMatchObject({ p0: window.fromMs - SESSION_REACH_MS, p1: window.toMs + SESSION_REACH_MS, p2: "page_view", p3: window.fromMs, p4: window.toMs });
  });

  test("ENTRY takes the first event's value, EXIT the last; trends bucket by start; the scope's kind labels the series", () => {
    const entry = plan({ session: { metric: SessionMetric.ENTRY }, breakdowns: [{ property: "$pathname" }] });
    expect(entry.queries[0]!.sql).toContain("argMin(CAST([CAST(e.pathname AS String)] AS Array(String)), e.occurred_at) AS combo");
    expect(entry.queries[0]!.sql).toContain("SELECT toStartOfDay(toTimeZone(started, {p");
    const exit = plan({ session: { metric: SessionMetric.EXIT, scope: { kind: "page_view" } }, breakdowns: [{ property: "$pathname" }] });
    expect(exit.queries[0]!.sql).toContain("argMax(CAST([CAST(e.pathname AS String)] AS Array(String)), e.occurred_at) AS combo");
    const shaped = exit.shape([[{ time: 1772323200, series_rank: 1, folded: ["/a"], value: 2 }]]);
    expect(shaped.case === "trends" && shaped.value.series.map((s) => [s.eventKind, s.breakdown])).toEqual([["page_view", { $pathname: "/a" }]]);
    const all = plan({ session: { metric: SessionMetric.SESSIONS } }).shape([[{ time: 1772323200, series_rank: 1, combo: [], value: 2 }]]);
    expect(all.case === "trends" && all.value.series[0]!.eventKind).toBe("$session");
  });

  test("refusals name the field", () => {
    expect(refusalOf(() => plan({ session: {} }))).toBe("spec.session.metric: required");
    expect(refusalOf(() => plan({ session: { metric: 42 as SessionMetric } }))).toBe("spec.session.metric: unknown session metric 42");
    expect(refusalOf(() => plan({ session: { metric: SessionMetric.SESSIONS }, events: [{}] }))).toStartWith("spec.events: must be empty with spec.session");
    expect(refusalOf(() => plan({ session: { metric: SessionMetric.EXIT } }))).toStartWith("spec.breakdowns: EXIT needs TRENDS with exactly one breakdown");
    expect(refusalOf(() => plan({ session: { metric: SessionMetric.ENTRY }, breakdowns: [{ property: "$pathname" }] }, "segmentation"))).toStartWith("spec.breakdowns: ENTRY needs TRENDS");
    expect(refusalOf(() => plan({ session: { metric: SessionMetric.SESSIONS, scope: { kind: "x".repeat(201) } } }))).toBe("spec.session.scope.kind: longer than 200 characters");
  });
});
