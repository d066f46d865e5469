import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, test } from "bun:test";
import { Granularity } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf as refusal } from "../field-refusal.ts";
import { QueryParams } from "./query-params.ts";
import { bucketSql, rangeCondition, timeWindow } from "./time-window.ts";

const HOUR = 3_600_000;
const range = (fromMs: number, toMs: number) => ({ $typeName: "common.v1.TimeRange" as const, from: timestampFromMs(fromMs), to: timestampFromMs(toMs) });
const T0 = Date.UTC(2026, 10, 1);


describe("time window", () => {
  test("each granularity allows up to its longest range, not a millisecond more", () => {
    const longest: [Granularity, number][] = [
      [Granularity.MINUTE, 6 * HOUR],
      [Granularity.HOUR, 14 * 24 * HOUR],
      [Granularity.DAY, 365 * 24 * HOUR],
      [Granularity.WEEK, 1461 * 24 * HOUR],
      [Granularity.MONTH, 3652 * 24 * HOUR],
    ];
    for (const [granularity, ms] of longest) {
      expect(timeWindow(range(T0, T0 + ms), granularity, "UTC")).toEqual({ fromMs: T0, toMs: T0 + ms, granularity, timezone: "UTC" });
      expect(refusal(() => timeWindow(range(T0, T0 + ms + 1), granularity, "UTC"))).toStartWith(`time_range: at most `);
    }
  });

  test("refusals name the field", () => {
    expect(refusal(() => timeWindow(range(T0, T0 + HOUR), Granularity.UNSPECIFIED, "UTC"))).toStartWith("granularity: required");
    expect(refusal(() => timeWindow(range(T0, T0 + HOUR), 9 as Granularity, "UTC"))).toBe("granularity: unknown granularity 9");
    expect(refusal(() => timeWindow(undefined, Granularity.DAY, "UTC"))).toBe("time_range: required");
    expect(refusal(() => timeWindow({ ...range(T0, T0), from: undefined }, Granularity.DAY, "UTC"))).toBe("time_range.from: required");
    expect(refusal(() => timeWindow(range(T0, T0), Granularity.DAY, "UTC"))).toBe("time_range: from must be before to");
    expect(refusal(() => timeWindow(range(Date.UTC(1800, 0, 1), T0), Granularity.MONTH, "UTC"))).toBe("time_range.from: outside 1900-01-01 to 2300-01-01");
  });

  test("the range and the time zone are parameters, never SQL text", () => {
    const params = new QueryParams("6f1c1d8e-0000-4000-8000-000000000001");
    const window = timeWindow(range(T0, T0 + HOUR), Granularity.WEEK, "Europe/Berlin");
    expect(rangeCondition(window, params, "e.occurred_at")).toBe("e.occurred_at >= fromUnixTimestamp64Milli({p0:Int64}, 'UTC') AND e.occurred_at < fromUnixTimestamp64Milli({p1:Int64}, 'UTC')");
    expect(bucketSql(window, params, "e.occurred_at")).toBe("toDateTime(toMonday(toTimeZone(e.occurred_at, {p2:String})), {p2:String})");
    expect(params.values).toEqual({ project_id: "6f1c1d8e-0000-4000-8000-000000000001", p0: T0, p1: T0 + HOUR, p2: "Europe/Berlin" });
  });
});
