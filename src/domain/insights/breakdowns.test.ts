import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { InsightQuerySpecSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { breakdownLimit, breakdownTerms, checkBreakdowns, combinationSql, rankedSeriesSql, trendSeries } from "./breakdowns.ts";
import type { MetricSql } from "./metric-sql.ts";
import { QueryParams } from "./query-params.ts";

const PROJECT = "6f1c1d8e-0000-4000-8000-000000000001";
const spec = (properties: string[], breakdownLimit = 0) => create(InsightQuerySpecSchema, { breakdowns: properties.map((property) => ({ property })), breakdownLimit });

describe("breakdowns", () => {
  test("refuses more than 5, repeats, empty, control characters, overlong names and a limit out of 0–100", () => {
    expect(refusalOf(() => checkBreakdowns(spec(["a", "b", "c", "d", "e", "f"])))).toBe("spec.breakdowns: 6 breakdowns; at most 5");
    expect(refusalOf(() => checkBreakdowns(spec(["$country", "$country"])))).toBe("spec.breakdowns[1].property: '$country' is already a breakdown; each property once");
    expect(refusalOf(() => checkBreakdowns(spec(["a", ""])))).toBe("spec.breakdowns[1].property: required");
    expect(refusalOf(() => checkBreakdowns(spec(["plan type"])))).toStartWith("spec.breakdowns[0].property: letters, digits");
    expect(refusalOf(() => checkBreakdowns(spec(["x".repeat(201)])))).toBe("spec.breakdowns[0].property: longer than 200 characters");
    expect(refusalOf(() => checkBreakdowns(spec(["a"], 101)))).toStartWith("spec.breakdown_limit: 101 is out of range");
    expect(refusalOf(() => checkBreakdowns(spec(["a"], -1)))).toStartWith("spec.breakdown_limit: -1 is out of range");
    expect(refusalOf(() => checkBreakdowns(spec([], 5)))).toBe("spec.breakdown_limit: needs at least one breakdown");
    expect(() => checkBreakdowns(spec(["$country", "plan", "x".repeat(200)], 100))).not.toThrow();
  });

  test("the limit defaults to 10", () => {
    expect(breakdownLimit(spec(["a"]))).toBe(10);
    expect(breakdownLimit(spec(["a"], 3))).toBe(3);
  });

  test("$names read the promoted column or auto_properties, other names custom_properties, the name a parameter", () => {
    const params = new QueryParams(PROJECT);
    const terms = breakdownTerms(spec(["$pathname", "$wifi", "plan' OR 1=1"]), "e", params); // unchecked here: still a parameter
    expect(terms).toEqual(["CAST(e.pathname AS String)", "CAST(e.auto_properties[{p0:String}] AS String)", "CAST(e.custom_properties[{p1:String}] AS String)"]);
    expect(params.values).toMatchObject({ p0: "$wifi", p1: "plan' OR 1=1" });
    expect(combinationSql(terms.slice(0, 1))).toBe("CAST([CAST(e.pathname AS String)] AS Array(String))");
    expect(combinationSql([])).toBe("CAST([] AS Array(String))");
  });

  test("without breakdowns: one group per bucket; with: one read, ranked over the window, the rest's states merged into $others", () => {
    const count: MetricSql = { states: [["s_c", "count", ""]], value: (read) => read("s_c", "count"), where: "1" };
    const unique: MetricSql = { states: [["s_u", "uniqExact", "person"]], value: (read) => read("s_u", "uniqExact"), where: "1" };
    const input = { from: "events AS e", where: "W", bucket: "B", combo: "C", limit: 3 };
    expect(rankedSeriesSql({ ...input, metric: count, breakdownCount: 0, params: new QueryParams(PROJECT) })).toBe(
      "SELECT toUnixTimestamp(t) AS time, 1 AS series_rank, CAST([] AS Array(String)) AS combo, toFloat64(count()) AS value\nFROM events AS e WHERE W GROUP BY B AS t ORDER BY time",
    );
    const params = new QueryParams(PROJECT);
    const sql = rankedSeriesSql({ ...input, metric: unique, rankBy: count, breakdownCount: 2, params });
    expect(sql).toContain("FROM (SELECT B AS t, C AS combo, uniqExactState(person) AS s_u, countState() AS s_c FROM events AS e WHERE W GROUP BY t, combo)");
    expect(sql).toContain("toFloat64(countMerge(s_c) OVER (PARTITION BY combo)) AS weight");
    expect(sql).toContain("dense_rank() OVER (ORDER BY weight DESC, combo ASC) AS combo_rank");
    expect(sql).toStartWith(
      "SELECT toUnixTimestamp(t) AS time, if(combo_rank <= {p1:UInt32}, combo_rank, 0) AS series_rank, if(series_rank = 0, {p0:Array(String)}, combo) AS folded, toFloat64(uniqExactMerge(s_u)) AS value",
    );
    expect(sql).toEndWith("GROUP BY t, series_rank, folded ORDER BY series_rank = 0, series_rank, time");
    expect(sql.match(/FROM events/g)).toHaveLength(1);
    expect(params.values).toMatchObject({ p0: ["$others", "$others"], p1: 3 });
  });

  test("rows become series in rank order, $others last, each point at its bucket's instant", () => {
    const rows = [
      { time: 1774566000, series_rank: 1, folded: ["/home"], value: 2 },
      { time: 1774652400, series_rank: 1, folded: ["/home"], value: 1 },
      { time: 1774652400, series_rank: 0, folded: ["$others"], value: 4 },
      { time: 1774566000, series_rank: 2, folded: ["/docs"], value: 1.5 },
    ];
    const series = trendSeries(spec(["$pathname"]), "page_view", rows);
    expect(series.map((s) => [s.eventKind, s.breakdown, s.points.map((p) => [Number(p.time!.seconds), p.value])])).toEqual([
      ["page_view", { $pathname: "/home" }, [[1774566000, 2], [1774652400, 1]]],
      ["page_view", { $pathname: "/docs" }, [[1774566000, 1.5]]],
      ["page_view", { $pathname: "$others" }, [[1774652400, 4]]],
    ]);
  });
});
