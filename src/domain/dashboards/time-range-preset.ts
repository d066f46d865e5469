// A dashboard's default time range is a preset ("last 7 days"); rendering turns it into a range ending now. The end
// is rounded up to the next whole minute, so every tile of a render and every viewer within that minute ask the
// same question (and share cached answers), and the range still reaches the newest events.

import { TimeRangePreset } from "../../gen/common/v1/time_pb.ts";
import { Granularity } from "../../gen/shared/insights/v1/insights_pb.ts";
import { MAX_RANGE_MS } from "../insights/time-window.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;

export const PRESET_LENGTH_MS: Record<Exclude<TimeRangePreset, TimeRangePreset.UNSPECIFIED>, number> = {
  [TimeRangePreset.LAST_1_HOUR]: HOUR_MS,
  [TimeRangePreset.LAST_6_HOURS]: 6 * HOUR_MS,
  [TimeRangePreset.LAST_24_HOURS]: DAY_MS,
  [TimeRangePreset.LAST_7_DAYS]: 7 * DAY_MS,
  [TimeRangePreset.LAST_14_DAYS]: 14 * DAY_MS,
  [TimeRangePreset.LAST_30_DAYS]: 30 * DAY_MS,
  [TimeRangePreset.LAST_90_DAYS]: 90 * DAY_MS,
  [TimeRangePreset.LAST_180_DAYS]: 180 * DAY_MS,
  [TimeRangePreset.LAST_365_DAYS]: 365 * DAY_MS,
};

/** What a dashboard without a default range shows. */
export const FALLBACK_PRESET = TimeRangePreset.LAST_7_DAYS;
/** What a dashboard without a default granularity shows. */
export const FALLBACK_GRANULARITY = Granularity.DAY;

export function isKnownPreset(value: number): value is TimeRangePreset {
  return value === TimeRangePreset.UNSPECIFIED || Object.hasOwn(PRESET_LENGTH_MS, value);
}

/** The range a preset (unset: FALLBACK_PRESET) stands for at `nowMs`. */
export function presetRange(preset: TimeRangePreset, nowMs: number): { fromMs: number; toMs: number } {
  const length = Object.hasOwn(PRESET_LENGTH_MS, preset) ? PRESET_LENGTH_MS[preset as keyof typeof PRESET_LENGTH_MS] : PRESET_LENGTH_MS[FALLBACK_PRESET];
  const toMs = Math.ceil(nowMs / MINUTE_MS) * MINUTE_MS;
  return { fromMs: toMs - length, toMs };
}

const FINEST_FIRST = [Granularity.MINUTE, Granularity.HOUR, Granularity.DAY, Granularity.WEEK, Granularity.MONTH];

/** Whether a series of `granularity` may span `rangeMs` (the limits Query applies). */
export function granularityFits(granularity: Granularity, rangeMs: number): boolean {
  return rangeMs <= MAX_RANGE_MS[granularity];
}

/** `granularity` when it may span `rangeMs`, else the finest coarser one that may. */
export function fittingGranularity(granularity: Granularity, rangeMs: number): Granularity {
  if (granularityFits(granularity, rangeMs)) return granularity;
  return FINEST_FIRST.find((g) => g > granularity && granularityFits(g, rangeMs)) ?? Granularity.MONTH;
}

/**
 * The range moved back to end on a whole minute, its length kept: requests a few milliseconds apart ask the same
 * question (and share cached answers), and a range as long as its granularity allows stays allowed.
 */
export function endingOnWholeMinute(fromMs: number, toMs: number): { fromMs: number; toMs: number } {
  const shift = toMs - Math.floor(toMs / MINUTE_MS) * MINUTE_MS;
  return { fromMs: fromMs - shift, toMs: toMs - shift };
}
