import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { FilterOperator } from "../../gen/common/v1/filters_pb.ts";
import { AggregationType, Granularity, InsightQuerySpecSchema, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { QueryParams } from "./query-params.ts";
import { buildTrends } from "./trends.ts";

const PROJECT = "6f1c1d8e-0000-4000-8000-000000000001";
const window = { fromMs: Date.UTC(2026, 2, 1), toMs: Date.UTC(2026, 2, 8), granularity: Granularity.DAY, timezone: "Europe/Berlin" };
const plan = (spec: MessageInitShape<typeof InsightQuerySpecSchema>) =>
  buildTrends({ spec: create(InsightQuerySpecSchema, { insightType: InsightType.TRENDS, ...spec }), window, params: new QueryParams(PROJECT) });

describe("trends builder", () => {
  test("one query per event query; kind, filters and caller text only as parameters", () => {
    const hostile = "x' OR 1=1 --";
    const built = plan({
      events: [
        { event: { kind: hostile, filters: [{ property: hostile, operator: FilterOperator.EQUALS, value: hostile }] } },
        { event: { kind: "purchase" }, aggregation: AggregationType.SUM, aggregationProperty: "order.total-eur" },
      ],
      breakdowns: [{ property: "plan_tier" }],
    });
    expect(built.queries).toHaveLength(2);
    for (const query of built.queries) {
      expect(query.sql).not.toContain(hostile);
      expect(query.sql).toContain("e.project_id = {project_id:UUID}");
      expect(query.sql).toContain("NOT e.is_bot AND NOT e.cookieless");
      expect(query.params.project_id).toBe(PROJECT);
    }
    expect(built.queries[0]!.sql).toContain("toStartOfDay(toTimeZone(e.occurred_at, {p6:String})) AS t");
    expect(built.queries[0]!.params.p6).toBe("Europe/Berlin");
    expect(Object.values(built.queries[0]!.params)).toEqual(expect.arrayContaining([hostile, "plan_tier", "order.total-eur"]));
    expect(refusalOf(() => plan({ breakdowns: [{ property: hostile }] }))).toStartWith("spec.breakdowns[0].property: letters, digits");
  });

  test("no event queries: one series of all events, labelled with no kind", () => {
    const built = plan({});
    expect(built.queries).toHaveLength(1);
    expect(built.queries[0]!.sql).not.toContain("e.kind =");
    const result = built.shape([[{ time: 1772319600, series_rank: 1, combo: [], value: 3 }]]);
    expect(result.case).toBe("trends");
    const series = result.case === "trends" ? result.value.series : [];
    expect(series.map((s) => [s.eventKind, s.breakdown, s.points.map((p) => [Number(p.time!.seconds), p.value])])).toEqual([["", {}, [[1772319600, 3]]]]);
  });

  test("cookieless events are read when asked for", () => {
    expect(plan({ includeCookieless: true }).queries[0]!.sql).not.toContain("cookieless");
  });

  test("refusals name the field", () => {
    expect(refusalOf(() => plan({ events: [{ aggregation: AggregationType.AVG }] }))).toStartWith("spec.events[0].aggregation_property: required");
    expect(refusalOf(() => plan({ events: Array.from({ length: 21 }, () => ({})) }))).toBe("spec.events: 21 event queries; at most 20");
    expect(refusalOf(() => plan({ breakdowns: [{ property: "a" }, { property: "a" }] }))).toStartWith("spec.breakdowns[1].property:");
    expect(refusalOf(() => plan({ events: [{ event: { filters: [{ property: "n", operator: FilterOperator.GT, value: "many" }] } }] }))).toStartWith(
      "spec.events[0].event.filters[0].value:",
    );
    expect(refusalOf(() => plan({ includeStepTiming: true }))).toBe("spec.include_step_timing: not used by TRENDS; leave it unset");
    expect(refusalOf(() => plan({ topK: {} }))).toBe("spec.top_k: not used by TRENDS; leave it unset");
  });
});
