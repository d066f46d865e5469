// How long converting people took from one funnel step to the next: mean, median (the mean of the two middle
// values when their number is even), p95 (nearest rank: the value at rank ⌈0.95·n⌉) and a histogram of eight
// fixed buckets. A bucket holds the times below its upper bound and at or above the previous one; the last is
// open-ended. Pure: the funnel query hands over each converting person's time in milliseconds.

import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import { DistributionBucketSchema, type StepTiming, StepTimingSchema } from "../../gen/shared/insights/v1/insights_pb.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The histogram's buckets: label and exclusive upper bound in milliseconds (none on the last). */
export const TIMING_BUCKETS: readonly { label: string; upperMs?: number }[] = [
  { label: "0-30s", upperMs: 30 * SECOND },
  { label: "30s-2m", upperMs: 2 * MINUTE },
  { label: "2-5m", upperMs: 5 * MINUTE },
  { label: "5-15m", upperMs: 15 * MINUTE },
  { label: "15-60m", upperMs: HOUR },
  { label: "1-6h", upperMs: 6 * HOUR },
  { label: "6-24h", upperMs: 24 * HOUR },
  { label: "24h+" },
];

/** A Duration of `ms` milliseconds (fractions kept to the nanosecond). */
export function durationOfMs(ms: number): Duration {
  const totalNanos = Math.round(ms * 1_000_000);
  const seconds = Math.floor(totalNanos / 1_000_000_000);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: totalNanos - seconds * 1_000_000_000 });
}

/** Statistics of one step's conversion times; all zero (and a zero-filled histogram) when nobody converted. */
export function stepTiming(timesMs: readonly number[]): StepTiming {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const n = sorted.length;
  const counts = TIMING_BUCKETS.map(() => 0);
  let bucket = 0;
  for (const ms of sorted) {
    while (TIMING_BUCKETS[bucket]!.upperMs !== undefined && ms >= TIMING_BUCKETS[bucket]!.upperMs!) bucket++;
    counts[bucket]!++;
  }
  return create(StepTimingSchema, {
    avg: durationOfMs(n === 0 ? 0 : sorted.reduce((sum, ms) => sum + ms, 0) / n),
    median: durationOfMs(median(sorted)),
    p95: durationOfMs(nearestRank(sorted, 95)),
    distribution: TIMING_BUCKETS.map((b, i) =>
      create(DistributionBucketSchema, { label: b.label, upperBound: b.upperMs === undefined ? undefined : durationOfMs(b.upperMs), count: BigInt(counts[i]!) }),
    ),
  });
}

/** The middle of sorted values; the mean of the two middles for an even count; 0 for none. */
export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** The value at rank ⌈percent·n/100⌉ (1-based) of sorted values; 0 for none. Integer math: 0.95·60 is not 57. */
export function nearestRank(sorted: readonly number[], percent: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return sorted[Math.min(n, Math.max(1, Math.ceil((percent * n) / 100))) - 1]!;
}
