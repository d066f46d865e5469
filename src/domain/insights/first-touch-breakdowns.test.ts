import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { InsightQuerySpecSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { breakdownLimit, checkedBreakdowns, firstTouchBreakdowns } from "./first-touch-breakdowns.ts";
import { QueryParams } from "./query-params.ts";

const PROJECT = "00000000-0000-4000-8000-000000000001";
const spec = (properties: string[], breakdownLimit = 0) => create(InsightQuerySpecSchema, { breakdowns: properties.map((property) => ({ property })), breakdownLimit });
const fieldOf = (run: () => unknown) => refusalOf(run).split(":")[0];

describe("first-touch breakdowns", () => {
  test("limit: 0 is 10, at most 100", () => {
    expect(breakdownLimit(0)).toBe(10);
    expect(breakdownLimit(100)).toBe(100);
    expect(fieldOf(() => breakdownLimit(101))).toBe("spec.breakdown_limit");
    expect(fieldOf(() => breakdownLimit(-1))).toBe("spec.breakdown_limit");
  });

  test("at most 5, each once, each named", () => {
    expect(checkedBreakdowns(spec(["$browser", "plan"]))).toEqual(["$browser", "plan"]);
    expect(fieldOf(() => checkedBreakdowns(spec(["a", "b", "c", "d", "e", "f"])))).toBe("spec.breakdowns");
    expect(fieldOf(() => checkedBreakdowns(spec(["a", "b", "a"])))).toBe("spec.breakdowns[2].property");
    expect(fieldOf(() => checkedBreakdowns(spec(["a", ""])))).toBe("spec.breakdowns[1].property");
  });

  test("values by first touch, names and limit as parameters", () => {
    const params = new QueryParams(PROJECT);
    const breakdowns = firstTouchBreakdowns(spec(["$browser", "plan; DROP"], 3), params);
    expect(breakdowns.columns).toEqual(["argMin(e.browser, e.occurred_at) AS b0", "argMin(e.custom_properties[{p0:String}], e.occurred_at) AS b1"]);
    expect(params.values.p0).toBe("plan; DROP");
    const sql = breakdowns.ranked("SELECT 1");
    expect(sql).toContain("if(combo_rank <= {p1:UInt32}, b0, '$others') AS g0");
    expect(sql).toContain("dense_rank() OVER (ORDER BY combo_persons DESC, b0, b1)");
    expect(sql).not.toContain("DROP");
    expect(params.values.p1).toBe(3);
    expect(breakdowns.breakdownOf({ g0: "Firefox", g1: "$others" })).toEqual({ $browser: "Firefox", "plan; DROP": "$others" });
  });

  test("without breakdowns the per-person query is used as it is", () => {
    const breakdowns = firstTouchBreakdowns(spec([]), new QueryParams(PROJECT));
    expect(breakdowns.ranked("SELECT 1")).toBe("SELECT 1");
    expect(breakdowns.groups).toEqual([]);
    expect(breakdowns.breakdownOf({})).toEqual({});
  });
});
