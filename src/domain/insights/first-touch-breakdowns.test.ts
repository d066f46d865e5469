import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { InsightQuerySpecSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { firstTouchBreakdowns } from "./first-touch-breakdowns.ts";
import { QueryParams } from "./query-params.ts";

const PROJECT = "00000000-0000-4000-8000-000000000001";
const spec = (properties: string[], breakdownLimit = 0) => create(InsightQuerySpecSchema, { breakdowns: properties.map((property) => ({ property })), breakdownLimit });
const fieldOf = (run: () => unknown) => refusalOf(run).split(":")[0];

describe("first-touch breakdowns", () => {
  test("checked as trends' breakdowns are: at most 5, each once, by the property pattern", () => {
    expect(fieldOf(() => firstTouchBreakdowns(spec(["a", "b", "c", "d", "e", "f"]), new QueryParams(PROJECT)))).toBe("spec.breakdowns");
    expect(fieldOf(() => firstTouchBreakdowns(spec(["a", "b", "a"]), new QueryParams(PROJECT)))).toBe("spec.breakdowns[2].property");
    expect(fieldOf(() => firstTouchBreakdowns(spec(["a", "plan; DROP"]), new QueryParams(PROJECT)))).toBe("spec.breakdowns[1].property");
    expect(fieldOf(() => firstTouchBreakdowns(spec(["a"], 101), new QueryParams(PROJECT)))).toBe("spec.breakdown_limit");
  });

  test("values by first touch, names and limit as parameters", () => {
    const params = new QueryParams(PROJECT);
    const breakdowns = firstTouchBreakdowns(spec(["$browser", "plan.tier"], 3), params);
    expect(breakdowns.columns).toEqual(["argMin(e.browser, e.occurred_at) AS b0", "argMin(e.custom_properties[{p0:String}], e.occurred_at) AS b1"]);
    expect(params.values.p0).toBe("plan.tier");
    const sql = breakdowns.ranked("SELECT 1");
    expect(sql).toContain("if(combo_rank <= {p1:UInt32}, b0, '$others') AS g0");
    expect(sql).toContain("dense_rank() OVER (ORDER BY combo_persons DESC, b0, b1)");
    expect(sql).not.toContain("plan.tier");
    expect(params.values.p1).toBe(3);
    expect(breakdowns.breakdownOf({ g0: "Firefox", g1: "$others" })).toEqual({ $browser: "Firefox", "plan.tier": "$others" });
  });

  test("without breakdowns the per-person query is used as it is", () => {
    const breakdowns = firstTouchBreakdowns(spec([]), new QueryParams(PROJECT));
    expect(breakdowns.ranked("SELECT 1")).toBe("SELECT 1");
    expect(breakdowns.groups).toEqual([]);
    expect(breakdowns.breakdownOf({})).toEqual({});
  });
});
