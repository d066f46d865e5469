import { describe, expect, test } from "bun:test";
import { AggregationType, InsightType, TopKQuery_Dimension } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { FIXTURE_PROJECT, insightInput, type SpecInit as Spec } from "./insight-input-fixture.ts";
import { buildTopK } from "./top-k.ts";

const build = (spec: Spec) => buildTopK(insightInput(InsightType.TOP_K, spec));
const { PROPERTY, EVENT_KIND, USER } = TopKQuery_Dimension;


describe("buildTopK", () => {
  test("names, the metric property and the limit are parameters; the rest is re-aggregated from states", () => {
    const [query] = build({ topK: { dimension: PROPERTY, property: "plan", metric: AggregationType.SUM, metricProperty: "amount", limit: 7 } }).queries;
    expect(query!.sql).not.toMatch(/plan|amount/);
    expect(Object.values(query!.params)).toEqual(expect.arrayContaining(["plan", "amount", 7]));
    expect(query!.sql).toContain("sumState(");
    expect(query!.sql).toContain("sumMerge(s_n)");
  });

  test("UNIQUE_USERS counts persons (aliases joined); USER rows join the profiles mirror", () => {
    expect(build({ topK: { dimension: EVENT_KIND, metric: AggregationType.UNIQUE_USERS } }).queries[0]!.sql).toContain("LEFT JOIN (SELECT alias_id");
    const user = build({ topK: { dimension: USER } }).queries[0]!.sql;
    expect(user).toContain("FROM profiles WHERE project_id = {project_id:UUID}");
  });

  test("rows: $others flagged; a profile only on identified, non-$others rows", () => {
    const { shape } = build({ topK: { dimension: USER } });
    const result = shape([[
      { dimension_value: "alice", is_others: false, value: 4, profile_external_id: "alice", profile_id: "p1", profile_properties: '{"plan":"pro"}' },
      { dimension_value: "anon-1", is_others: 0, value: 2, profile_external_id: "", profile_id: "", profile_properties: "" },
      { dimension_value: "$others", is_others: 1, value: 3, profile_external_id: "", profile_id: "", profile_properties: "" },
    ]]);
    const rows = (result.value as { rows: { dimensionValue: string; value: number; isOthers: boolean; profile?: { id: string; externalId: string; properties?: unknown } }[] }).rows;
    expect(rows.map((row) => [row.dimensionValue, row.value, row.isOthers, row.profile?.externalId])).toEqual([
      ["alice", 4, false, "alice"],
      ["anon-1", 2, false, undefined],
      ["$others", 3, true, undefined],
    ]);
    expect(rows[0]!.profile!.properties).toEqual({ plan: "pro" });
  });

  test.each([
    ["no top_k", {}, "spec.top_k"],
    ["events", { topK: { dimension: EVENT_KIND }, events: [{}] }, "spec.events"],
    ["session", { topK: { dimension: EVENT_KIND }, session: {} }, "spec.session"],
    ["breakdowns", { topK: { dimension: EVENT_KIND }, breakdowns: [{ property: "$browser" }] }, "spec.breakdowns"],
    ["no dimension", { topK: {} }, "spec.top_k.dimension"],
    ["PROPERTY without a property", { topK: { dimension: PROPERTY } }, "spec.top_k.property"],
    ["a property outside the pattern", { topK: { dimension: PROPERTY, property: "x')" } }, "spec.top_k.property"],
    ["a property for EVENT_KIND", { topK: { dimension: EVENT_KIND, property: "$browser" } }, "spec.top_k.property"],
    ["SUM without metric_property", { topK: { dimension: EVENT_KIND, metric: AggregationType.SUM } }, "spec.top_k.metric_property"],
    ["a malformed metric_property even for TOTAL", { topK: { dimension: EVENT_KIND, metricProperty: "a b" } }, "spec.top_k.metric_property"],
    ["UNIQUE_USERS per user", { topK: { dimension: USER, metric: AggregationType.UNIQUE_USERS } }, "spec.top_k.metric"],
    ["PER_USER_AVG per user", { topK: { dimension: USER, metric: AggregationType.PER_USER_AVG } }, "spec.top_k.metric"],
    ["an unknown metric", { topK: { dimension: EVENT_KIND, metric: 42 } }, "spec.top_k.metric"],
    ["limit 101", { topK: { dimension: EVENT_KIND, limit: 101 } }, "spec.top_k.limit"],
    ["limit -1", { topK: { dimension: EVENT_KIND, limit: -1 } }, "spec.top_k.limit"],
    ["a bad scope", { topK: { dimension: EVENT_KIND, scope: { kind: "x".repeat(201) } } }, "spec.top_k.scope.kind"],
  ] as [string, Spec, string][])("refused: %s", (_name, spec, field) => {
    expect(refusalOf(() => build(spec))).toStartWith(`${field}: `);
  });
});
