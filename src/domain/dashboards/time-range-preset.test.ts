import { describe, expect, test } from "bun:test";
import { TimeRangePreset } from "../../gen/common/v1/time_pb.ts";
import { Granularity } from "../../gen/shared/insights/v1/insights_pb.ts";
import { fittingGranularity, isKnownPreset, presetRange, endingOnWholeMinute } from "./time-range-preset.ts";

const NOW = Date.parse("2026-05-10T12:34:56.789Z");
const iso = (range: { fromMs: number; toMs: number }) => [new Date(range.fromMs).toISOString(), new Date(range.toMs).toISOString()];

describe("time range presets", () => {
  test("a preset is a range ending at the next whole minute after now", () => {
    expect(iso(presetRange(TimeRangePreset.LAST_1_HOUR, NOW))).toEqual(["2026-05-10T11:35:00.000Z", "2026-05-10T12:35:00.000Z"]);
    expect(iso(presetRange(TimeRangePreset.LAST_30_DAYS, NOW))).toEqual(["2026-04-10T12:35:00.000Z", "2026-05-10T12:35:00.000Z"]);
    expect(iso(presetRange(TimeRangePreset.LAST_365_DAYS, Date.parse("2026-05-10T12:00:00.000Z")))).toEqual(["2025-05-10T12:00:00.000Z", "2026-05-10T12:00:00.000Z"]);
  });

  test("no preset means the last 7 days", () => {
    expect(iso(presetRange(TimeRangePreset.UNSPECIFIED, NOW))).toEqual(["2026-05-03T12:35:00.000Z", "2026-05-10T12:35:00.000Z"]);
  });

  test("known presets are the contract's nine and unset; anything else is not", () => {
    expect([0, 1, 5, 9].map(isKnownPreset)).toEqual([true, true, true, true]);
    expect([10, -1, 99].map(isKnownPreset)).toEqual([false, false, false]);
  });
});

describe("granularity against a range", () => {
  test("a granularity that may span the range is kept; else the finest coarser one that may", () => {
    expect(fittingGranularity(Granularity.HOUR, 14 * 86_400_000)).toBe(Granularity.HOUR);
    expect(fittingGranularity(Granularity.HOUR, 90 * 86_400_000)).toBe(Granularity.DAY);
    expect(fittingGranularity(Granularity.MINUTE, 30 * 86_400_000)).toBe(Granularity.DAY);
    expect(fittingGranularity(Granularity.DAY, 400 * 86_400_000)).toBe(Granularity.WEEK);
    expect(fittingGranularity(Granularity.DAY, 20 * 365 * 86_400_000)).toBe(Granularity.MONTH);
  });

  test("ranges move back to end on a whole minute, keeping their length", () => {
    expect(endingOnWholeMinute(60_001, 179_999)).toEqual({ fromMs: 2, toMs: 120_000 });
    expect(endingOnWholeMinute(60_000, 120_000)).toEqual({ fromMs: 60_000, toMs: 120_000 });
    const sixHours = 6 * 3_600_000;
    const moved = endingOnWholeMinute(1_000_123, 1_000_123 + sixHours);
    expect(moved.toMs - moved.fromMs).toBe(sixHours);
    expect(fittingGranularity(Granularity.MINUTE, moved.toMs - moved.fromMs)).toBe(Granularity.MINUTE);
  });
});
