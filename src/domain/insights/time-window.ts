// The time range and granularity of a query, checked against the contract's limits, and the SQL that selects
// the range and puts events in buckets of the project's reporting time zone. Buckets are computed by ClickHouse
// in that zone, so a day is a local day (23 or 25 hours across a DST change) and a week starts on a local Monday.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { TimeRange } from "../../gen/common/v1/time_pb.ts";
import { Granularity } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import type { QueryParams } from "./query-params.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The longest range each granularity allows (keeps a series within a few hundred points). */
export const MAX_RANGE_MS: Record<Granularity, number> = {
  [Granularity.UNSPECIFIED]: 0,
  [Granularity.MINUTE]: 6 * HOUR_MS,
  [Granularity.HOUR]: 14 * DAY_MS,
  [Granularity.DAY]: 365 * DAY_MS,
  [Granularity.WEEK]: 1461 * DAY_MS,
  [Granularity.MONTH]: 3652 * DAY_MS,
};

const RANGE_TEXT: Record<Granularity, string> = {
  [Granularity.UNSPECIFIED]: "",
  [Granularity.MINUTE]: "6 hours",
  [Granularity.HOUR]: "14 days",
  [Granularity.DAY]: "365 days",
  [Granularity.WEEK]: "1461 days",
  [Granularity.MONTH]: "3652 days",
};

/** ClickHouse's DateTime64 reaches 2299; events before 1900 are refused at intake. */
const EARLIEST_MS = Date.UTC(1900, 0, 1);
const LATEST_MS = Date.UTC(2300, 0, 1);

export interface TimeWindow {
  /** Inclusive. */
  fromMs: number;
  /** Exclusive. */
  toMs: number;
  granularity: Granularity;
  /** IANA name, e.g. `Europe/Berlin`. */
  timezone: string;
}

/**
 * Checks a request's range and granularity. `granularityField` is absent where the request has no granularity
 * (activity feeds); then no range limit applies beyond `maxRangeMs`.
 */
export function timeWindow(
  range: TimeRange | undefined,
  granularity: Granularity,
  timezone: string,
  fields: { range: string; granularity: string } = { range: "time_range", granularity: "granularity" },
): TimeWindow {
  if (!(granularity in MAX_RANGE_MS) || granularity === Granularity.UNSPECIFIED) {
    throw new FieldError(fields.granularity, granularity === Granularity.UNSPECIFIED ? "required (MINUTE, HOUR, DAY, WEEK or MONTH)" : `unknown granularity ${granularity}`);
  }
  const { fromMs, toMs } = rangeOf(range, fields.range);
  if (toMs - fromMs > MAX_RANGE_MS[granularity]) {
    throw new FieldError(fields.range, `at most ${RANGE_TEXT[granularity]} with ${Granularity[granularity]} granularity; use a coarser granularity or a shorter range`);
  }
  return { fromMs, toMs, granularity, timezone };
}

/** A required range with from < to, both within what events can hold. */
export function rangeOf(range: TimeRange | undefined, field = "time_range"): { fromMs: number; toMs: number } {
  if (!range) throw new FieldError(field, "required");
  if (!range.from) throw new FieldError(`${field}.from`, "required");
  if (!range.to) throw new FieldError(`${field}.to`, "required");
  const fromMs = Math.floor(timestampMs(range.from));
  const toMs = Math.ceil(timestampMs(range.to));
  for (const [name, ms] of [["from", fromMs], ["to", toMs]] as const) {
    if (!(ms >= EARLIEST_MS && ms <= LATEST_MS)) throw new FieldError(`${field}.${name}`, "outside 1900-01-01 to 2300-01-01");
  }
  if (fromMs >= toMs) throw new FieldError(field, "from must be before to");
  return { fromMs, toMs };
}

/** `column` within [from, to): lets ClickHouse skip the partitions and granules outside the range. */
export function rangeCondition(window: { fromMs: number; toMs: number }, params: QueryParams, column = "occurred_at"): string {
  const from = params.add(window.fromMs, "Int64");
  const to = params.add(window.toMs, "Int64");
  return `${column} >= fromUnixTimestamp64Milli(${from}, 'UTC') AND ${column} < fromUnixTimestamp64Milli(${to}, 'UTC')`;
}

/**
 * The start of the bucket holding `column`, a DateTime in the window's time zone; `toUnixTimestamp()` of it is the
 * bucket's instant. The zone is a parameter like every other caller-influenced value.
 */
export function bucketSql(window: TimeWindow, params: QueryParams, column = "occurred_at"): string {
  const tz = params.add(window.timezone, "String");
  const local = `toTimeZone(${column}, ${tz})`;
  switch (window.granularity) {
    case Granularity.MINUTE:
      return `toStartOfMinute(${local})`;
    case Granularity.HOUR:
      return `toStartOfHour(${local})`;
    case Granularity.DAY:
      return `toStartOfDay(${local})`;
    case Granularity.WEEK:
      return `toDateTime(toMonday(${local}), ${tz})`;
    case Granularity.MONTH:
      return `toDateTime(toStartOfMonth(${local}), ${tz})`;
    default:
      throw new FieldError("granularity", `unknown granularity ${window.granularity}`);
  }
}
