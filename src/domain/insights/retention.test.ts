import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, test } from "bun:test";
import { Granularity, InsightQuerySpecSchema, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { QueryParams } from "./query-params.ts";
import { buildRetention } from "./retention.ts";

const PROJECT = "00000000-0000-4000-8000-000000000001";
const steps = (kinds: string[]) => kinds.map((kind) => ({ event: { kind, filters: [] } }));
const build = (spec: Record<string, unknown>, granularity = Granularity.WEEK) =>
  buildRetention({
    spec: create(InsightQuerySpecSchema, { insightType: InsightType.RETENTION, events: steps(["open"]), ...spec }),
    window: { fromMs: Date.UTC(2026, 6, 6), toMs: Date.UTC(2026, 6, 27), granularity, timezone: "Europe/Berlin" },
    params: new QueryParams(PROJECT),
  });
const fieldOf = (run: () => unknown) => refusalOf(run).split(":")[0];

describe("retention builder", () => {
  test("a start event and an optional return event", () => {
    expect(fieldOf(() => build({ events: [] }))).toBe("spec.events");
    expect(fieldOf(() => build({ events: steps(["a", "b", "c"]) }))).toBe("spec.events");
    expect(fieldOf(() => build({ events: steps(["a", ""]) }))).toBe("spec.events[1].event.kind");
    expect(fieldOf(() => build({ conversionWindow: { seconds: 60n } }))).toBe("spec.conversion_window");
    expect(build({ events: steps(["a", "b"]) }).queries).toHaveLength(1);
  });

  test("the time zone and the kinds are parameters; weeks count in local days", () => {
    const { sql, params } = build({ events: steps(["open", "bu'y"]) }).queries[0]!;
    expect(sql).not.toContain("Europe/Berlin");
    expect(sql).not.toContain("bu'y");
    expect(Object.values(params)).toContain("Europe/Berlin");
    expect(sql).toContain("intDiv(dateDiff('day'");
    expect(sql).toContain("addWeeks(cohort, k)");
  });

  test("rows become cohorts with a percentage per period, 0 where nobody came back", () => {
    const result = build({}).shape([[{ cohort_at: "1783288800", cohort_size: "4", back_per_period: [["0", "2"], ["4", "1"]], period_starts: ["1783288800", "1783893600", "1784498400"] }]]);
    if (result.case !== "retention") throw new Error(result.case);
    const [cohort] = result.value.series[0]!.cohorts;
    expect(cohort!.cohort).toBe("2026-07-05T22:00:00Z");
    expect(cohort!.cohortSize).toBe(4);
    expect(cohort!.points.map((p) => [timestampMs(p.time!) / 1000, p.value])).toEqual([[1783288800, 100], [1783893600, 0], [1784498400, 25]]);
  });

  test("no rows: one series without cohorts", () => {
    const result = build({}).shape([[]]);
    if (result.case !== "retention") throw new Error(result.case);
    expect(result.value.series.map((s) => [s.breakdown, s.cohorts])).toEqual([[{}, []]]);
  });
});
