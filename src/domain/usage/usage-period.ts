// The period GetUsage reports: the request's range (from < to, at most 400 days) or the current calendar month in
// UTC, and the UTC days it covers (every day that overlaps the range: usage is kept per whole day).

import type { TimeRange } from "../../gen/common/v1/time_pb.ts";
import { FieldError } from "../field-error.ts";
import { rangeOf } from "../insights/time-window.ts";

const DAY_MS = 86_400_000;
export const MAX_USAGE_DAYS = 400;

export interface UsagePeriod {
  fromMs: number;
  toMs: number;
  /** First day, `YYYY-MM-DD`. */
  firstDay: string;
  /** The day after the last one, `YYYY-MM-DD`. */
  endDay: string;
}

export function usagePeriod(range: TimeRange | undefined, nowMs: number): UsagePeriod {
  const { fromMs, toMs } = range ? rangeOf(range, "range") : currentMonth(nowMs);
  if (toMs - fromMs > MAX_USAGE_DAYS * DAY_MS) throw new FieldError("range", `at most ${MAX_USAGE_DAYS} days`);
  return { fromMs, toMs, firstDay: dayOf(Math.floor(fromMs / DAY_MS) * DAY_MS), endDay: dayOf(Math.ceil(toMs / DAY_MS) * DAY_MS) };
}

function currentMonth(nowMs: number): { fromMs: number; toMs: number } {
  const now = new Date(nowMs);
  return { fromMs: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1), toMs: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) };
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
