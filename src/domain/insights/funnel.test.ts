import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { Granularity, InsightQuerySpecSchema, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { buildFunnel, conversionWindowMs } from "./funnel.ts";
import { QueryParams } from "./query-params.ts";

const PROJECT = "00000000-0000-4000-8000-000000000001";
const window = { fromMs: Date.UTC(2026, 5, 1), toMs: Date.UTC(2026, 5, 8), granularity: Granularity.DAY, timezone: "UTC" };
const steps = (kinds: string[]) => kinds.map((kind) => ({ event: { kind, filters: [] } }));
const build = (spec: Record<string, unknown>) =>
  buildFunnel({ spec: create(InsightQuerySpecSchema, { insightType: InsightType.FUNNEL, events: steps(["a", "b"]), ...spec }), window, params: new QueryParams(PROJECT) });
const fieldOf = (run: () => unknown) => refusalOf(run).split(":")[0];

describe("funnel builder", () => {
  test("1 to 20 steps, each with a kind", () => {
    expect(fieldOf(() => build({ events: [] }))).toBe("spec.events");
    expect(fieldOf(() => build({ events: steps(Array.from({ length: 21 }, (_, i) => `k${i}`)) }))).toBe("spec.events");
    expect(build({ events: steps(Array.from({ length: 20 }, (_, i) => `k${i}`)) }).queries).toHaveLength(1);
    expect(fieldOf(() => build({ events: [{ event: { kind: "a" } }, {}] }))).toBe("spec.events[1].event");
    expect(fieldOf(() => build({ events: steps(["a", ""]) }))).toBe("spec.events[1].event.kind");
    expect(fieldOf(() => build({ topK: {} }))).toBe("spec.top_k");
  });

  test("conversion window: whole seconds ≥ 1, else the range's length", () => {
    expect(conversionWindowMs(undefined, 7 * 86_400_000)).toBe(7 * 86_400_000);
    expect(conversionWindowMs({ seconds: 3600n, nanos: 0 } as never, 1)).toBe(3_600_000);
    expect(fieldOf(() => conversionWindowMs({ seconds: 1n, nanos: 500_000_000 } as never, 1))).toBe("spec.conversion_window");
    expect(fieldOf(() => conversionWindowMs({ seconds: 0n, nanos: 0 } as never, 1))).toBe("spec.conversion_window");
  });

  test("kinds and the window reach ClickHouse as parameters", () => {
    const plan = build({ events: steps(["a'); DROP TABLE events; --", "b"]) });
    expect(plan.queries).toHaveLength(1);
    expect(plan.queries[0]!.sql).not.toContain("DROP");
    expect(Object.values(plan.queries[0]!.params)).toContain("a'); DROP TABLE events; --");
    expect(Object.values(plan.queries[0]!.params)).toContain(7 * 86_400_000);
  });

  test("rows become series: totals per step, timing from each converter's time", () => {
    const plan = build({ includeStepTiming: true, breakdowns: [{ property: "$browser" }] });
    const result = plan.shape([[{ g0: "Firefox", s0: "3", s1: "2", t1: ["10000", "50000"] }]]);
    if (result.case !== "funnel") throw new Error(result.case);
    const [series] = result.value.series;
    expect(series!.breakdown).toEqual({ $browser: "Firefox" });
    expect(series!.steps.map((s) => [s.eventKind, s.total])).toEqual([["a", 3], ["b", 2]]);
    expect(series!.steps[0]!.timing).toBeUndefined();
    expect(series!.steps[1]!.timing!.median).toMatchObject({ seconds: 30n, nanos: 0 });
  });

  test("no rows: one series of zeros", () => {
    const result = build({ breakdowns: [{ property: "$browser" }] }).shape([[]]);
    if (result.case !== "funnel") throw new Error(result.case);
    expect(result.value.series.map((s) => [s.breakdown, s.steps.map((step) => step.total)])).toEqual([[{}, [0, 0]]]);
  });
});
