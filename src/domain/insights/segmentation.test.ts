import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { AggregationType, Granularity, InsightQuerySpecSchema, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { QueryParams } from "./query-params.ts";
import { buildSegmentation } from "./segmentation.ts";

const PROJECT = "6f1c1d8e-0000-4000-8000-000000000001";
const window = { fromMs: Date.UTC(2026, 2, 1), toMs: Date.UTC(2026, 2, 8), granularity: Granularity.DAY, timezone: "UTC" };
const plan = (spec: MessageInitShape<typeof InsightQuerySpecSchema>) =>
  buildSegmentation({ spec: create(InsightQuerySpecSchema, { insightType: InsightType.SEGMENTATION, ...spec }), window, params: new QueryParams(PROJECT) });

describe("segmentation builder", () => {
  test("events matching any event query, aggregated with events[0]'s aggregation, 0 when there are none", () => {
    const built = plan({ events: [{ event: { kind: "a" }, aggregation: AggregationType.UNIQUE_USERS }, { event: { kind: "b" } }] });
    expect(built.queries).toHaveLength(1);
    const { sql, params } = built.queries[0]!;
    expect(sql).toStartWith("SELECT if(count() = 0, 0, toFloat64(uniqExact(if(ifNull(person_aliases.person, '') != '', person_aliases.person, e.distinct_id)))) AS value FROM events AS e LEFT JOIN (");
    expect(sql).toContain("((e.kind = {p2:String}) OR (e.kind = {p3:String}))");
    expect(params).toMatchObject({ p2: "a", p3: "b" });
    expect(built.shape([[{ value: 7 }]])).toMatchObject({ case: "segmentation", value: { total: 7 } });
    expect(built.shape([[{ value: null }]])).toMatchObject({ case: "segmentation", value: { total: 0 } });
  });

  test("an event query of all events makes the kind condition vanish", () => {
    expect(plan({ events: [{ event: { kind: "a" } }, {}] }).queries[0]!.sql).not.toContain("e.kind");
  });

  test("refuses breakdowns and an aggregation differing from events[0]'s", () => {
    expect(refusalOf(() => plan({ breakdowns: [{ property: "$country" }] }))).toBe("spec.breakdowns: SEGMENTATION takes no breakdowns; use TRENDS");
    expect(refusalOf(() => plan({ breakdownLimit: 3 }))).toBe("spec.breakdown_limit: SEGMENTATION takes no breakdowns");
    expect(refusalOf(() => plan({ events: [{}, { aggregation: AggregationType.UNIQUE_USERS }] }))).toStartWith("spec.events[1].aggregation:");
    expect(refusalOf(() => plan({ events: [{ aggregation: AggregationType.SUM }] }))).toStartWith("spec.events[0].aggregation_property: required");
    expect(refusalOf(() => plan({ conversionWindow: { seconds: 60n } }))).toBe("spec.conversion_window: not used by SEGMENTATION; leave it unset");
  });
});
