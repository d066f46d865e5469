import { describe, expect, test } from "bun:test";
import { AggregationType, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { insightInput, type SpecInit as Spec } from "./insight-input-fixture.ts";
import { buildMap } from "./map.ts";

const build = (spec: Spec) => buildMap(insightInput(InsightType.MAP, spec));

describe("buildMap", () => {
  test("rows keyed by the country column, without $others or empty countries", () => {
    const sql = build({ map: { metric: AggregationType.UNIQUE_USERS } }).queries[0]!.sql;
    expect(sql).toContain("e.country AS dimension");
    expect(sql).toContain("e.country != ''");
    expect(sql).toMatch(/WHERE rank <= \{p\d+:UInt64\}/);
  });

  test.each([
    ["no map", {}, "spec.map"],
    ["events", { map: {}, events: [{}] }, "spec.events"],
    ["AVG without metric_property", { map: { metric: AggregationType.AVG } }, "spec.map.metric_property"],
    ["a bad scope", { map: { scope: { filters: [{ property: "$browser" }] } } }, "spec.map.scope.filters[0].operator"],
  ] as [string, Spec, string][])("refused: %s", (_name, spec, field) => {
    expect(refusalOf(() => build(spec))).toStartWith(`${field}: `);
  });
});
