import { describe, expect, test } from "bun:test";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { durationOfMs, median, nearestRank, stepTiming, TIMING_BUCKETS } from "./funnel-timing.ts";

const ms = (d: { seconds: bigint; nanos: number } | undefined) => (d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : undefined);

describe("funnel timing", () => {
  test("median is the mean of the two middles for an even count", () => {
    expect(median([1, 2, 3])).toBe(2);
    expect(median([1, 2, 4, 10])).toBe(3);
    expect(median([])).toBe(0);
  });

  test("p95 is the nearest rank ⌈0.95·n⌉", () => {
    const sixty = Array.from({ length: 60 }, (_, i) => i + 1);
    expect(nearestRank(sixty, 95)).toBe(57);
    expect(nearestRank([5, 6, 7], 95)).toBe(7);
    expect(nearestRank([9], 95)).toBe(9);
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(nearestRank(twenty, 95)).toBe(19);
  });

  test("stats and distribution of known times", () => {
    // 10 s, 40 s, 3 min, 3 min, 2 h, 30 h — given unsorted.
    const times = [180_000, 10_000, 7_200_000, 40_000, 108_000_000, 180_000];
    const timing = stepTiming(times);
    expect(timing.avg).toMatchObject({ seconds: 19268n, nanos: 333_333_333 }); // 115,610 s / 6
    expect(ms(timing.median)).toBe(180_000);
    expect(ms(timing.p95)).toBe(108_000_000);
    expect(timing.distribution.map((b) => [b.label, Number(b.count)])).toEqual([
      ["0-30s", 1],
      ["30s-2m", 1],
      ["2-5m", 2],
      ["5-15m", 0],
      ["15-60m", 0],
      ["1-6h", 1],
      ["6-24h", 0],
      ["24h+", 1],
    ]);
  });

  test("a time on a bucket's upper bound falls in the next bucket", () => {
    const counts = stepTiming([30_000, 29_999]).distribution.map((b) => Number(b.count));
    expect(counts).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
  });

  test("upper bounds on every bucket but the open-ended last", () => {
    const timing = stepTiming([]);
    expect(timing.distribution.map((b) => ms(b.upperBound))).toEqual([30_000, 120_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000, undefined]);
    expect(TIMING_BUCKETS).toHaveLength(8);
  });

  test("nobody converted: zero stats and a zero-filled histogram", () => {
    const timing = stepTiming([]);
    expect([ms(timing.avg), ms(timing.median), ms(timing.p95)]).toEqual([0, 0, 0]);
    expect(timing.distribution.map((b) => Number(b.count))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("durations keep fractions of a millisecond as nanoseconds", () => {
    expect(durationOfMs(1500.5)).toMatchObject({ seconds: 1n, nanos: 500_500_000 });
    expect(durationMs(durationOfMs(86_400_000))).toBe(86_400_000);
  });
});
