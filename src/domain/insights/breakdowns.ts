// Breakdowns: splitting an insight's numbers by the values of up to five event properties, keeping the top
// `breakdown_limit` combinations and folding the rest into one "$others" combination. The fold happens in SQL,
// over the rows themselves, so a distinct count in "$others" counts each person once (not a sum of per-value
// counts).
//
// API for builders:
// - checkBreakdowns(spec): refuses bad breakdowns and a bad breakdown_limit (FieldError naming the field).
// - breakdownLimit(spec): the number of combinations kept (default 10).
// - breakdownTerms(spec, events, params): one String expression per breakdown, reading the events alias `events`.
// - combinationSql(terms): the Array(String) of one row's combination (`[]` without breakdowns).
// - rankedSeriesSql(...): bucketed values per combination with the top-N / "$others" fold (trends, sessions),
//   and trendSeries(...) to read its rows back as response series.

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { DataPointSchema, type InsightQuerySpec, type TrendSeries, TrendSeriesSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { namedEventProperty } from "./property-sql.ts";
import { directValue, type MetricSql, mergedValue, stateColumns } from "./metric-sql.ts";
import type { QueryParams } from "./query-params.ts";
import { checkDimensionProperty } from "./standalone-spec.ts";

export const MAX_BREAKDOWNS = 5;
export const DEFAULT_BREAKDOWN_LIMIT = 10;
export const MAX_BREAKDOWN_LIMIT = 100;
/** The value every breakdown key takes in the folded combination. */
export const OTHERS = "$others";

type BreakdownSpec = Pick<InsightQuerySpec, "breakdowns" | "breakdownLimit">;

export function checkBreakdowns(spec: BreakdownSpec): void {
  const { breakdowns, breakdownLimit: limit } = spec;
  if (breakdowns.length > MAX_BREAKDOWNS) throw new FieldError("spec.breakdowns", `${breakdowns.length} breakdowns; at most ${MAX_BREAKDOWNS}`);
  const seen = new Set<string>();
  breakdowns.forEach(({ property }, i) => {
    const field = `spec.breakdowns[${i}].property`;
    checkDimensionProperty(property, field);
    if (seen.has(property)) throw new FieldError(field, `'${property}' is already a breakdown; each property once`);
    seen.add(property);
  });
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_BREAKDOWN_LIMIT) {
    throw new FieldError("spec.breakdown_limit", `${limit} is out of range; 0 (default ${DEFAULT_BREAKDOWN_LIMIT}) to ${MAX_BREAKDOWN_LIMIT}`);
  }
  if (limit > 0 && breakdowns.length === 0) throw new FieldError("spec.breakdown_limit", "needs at least one breakdown");
}

export function breakdownLimit(spec: BreakdownSpec): number {
  return spec.breakdownLimit === 0 ? DEFAULT_BREAKDOWN_LIMIT : spec.breakdownLimit;
}

/** Each breakdown's value as text: `$names` are automatic properties, other names custom ones. */
export function breakdownTerms(spec: BreakdownSpec, events: string, params: QueryParams): string[] {
  return spec.breakdowns.map(({ property }, i) => {
    return `CAST(${namedEventProperty(property, params, events).text} AS String)`;
  });
}

/** A row's combination of breakdown values, an Array(String) (empty without breakdowns). */
export function combinationSql(terms: string[]): string {
  return `CAST([${terms.join(", ")}] AS Array(String))`;
}

export interface RankedSeriesInput {
  /** What to read: `FROM <from> WHERE <where>` (events, or a subquery of per-session rows). */
  from: string;
  where: string;
  /** A row's time bucket (DateTime) and its combination of breakdown values (Array(String)). */
  bucket: string;
  combo: string;
  /** The value of a point. */
  metric: MetricSql;
  /** What ranks a combination over the whole window (highest first); the metric itself unless given. */
  rankBy?: MetricSql;
  breakdownCount: number;
  limit: number;
  params: QueryParams;
}

/**
 * Rows `{time (Unix seconds), series_rank, folded, value}`: one per bucket and kept combination, `series_rank` 1…
 * in ranking order (ties by combination ascending), and 0 for "$others" (every key `$others`). Ordered by rank,
 * then time. One read of the rows: they are aggregated into partial states per bucket and combination, the
 * combinations are ranked by merging their states over the window (a window function), and the states of the
 * combinations beyond the limit are merged into "$others" (so its unique persons are counted once).
 */
export function rankedSeriesSql(input: RankedSeriesInput): string {
  const { metric, breakdownCount, params } = input;
  if (breakdownCount === 0) {
    return `SELECT toUnixTimestamp(t) AS time, 1 AS series_rank, CAST([] AS Array(String)) AS combo, ${directValue(metric)} AS value
FROM ${input.from} WHERE ${input.where} GROUP BY ${input.bucket} AS t ORDER BY time`;
  }
  const rankBy = input.rankBy ?? metric;
  const states: MetricSql = { ...metric, states: uniqueStates([...metric.states, ...rankBy.states]) };
  const columns = states.states.map(([column]) => column).join(", ");
  const others = params.add(Array.from({ length: breakdownCount }, () => OTHERS), "Array(String)");
  const limit = params.add(input.limit, "UInt32");
  return `SELECT toUnixTimestamp(t) AS time, if(combo_rank <= ${limit}, combo_rank, 0) AS series_rank, if(series_rank = 0, ${others}, combo) AS folded, ${mergedValue(metric)} AS value
FROM (
  SELECT t, combo, ${columns}, dense_rank() OVER (ORDER BY weight DESC, combo ASC) AS combo_rank
  FROM (
    SELECT t, combo, ${columns}, ${mergedValue(rankBy, " OVER (PARTITION BY combo)")} AS weight
    FROM (SELECT ${input.bucket} AS t, ${input.combo} AS combo, ${stateColumns(states)} FROM ${input.from} WHERE ${input.where} GROUP BY t, combo)
  )
)
GROUP BY t, series_rank, folded ORDER BY series_rank = 0, series_rank, time`;
}

function uniqueStates(states: MetricSql["states"]): MetricSql["states"] {
  const byColumn = new Map(states.map((state) => [state[0], state]));
  return [...byColumn.values()];
}

/** A result row of rankedSeriesSql, read back. */
interface RankedPoint {
  time: number;
  rank: number;
  combo: string[];
  value: number;
}

function rankedPoints(rows: Record<string, unknown>[]): RankedPoint[] {
  return rows.map((row) => ({
    time: Number(row.time),
    rank: Number(row.series_rank),
    combo: (row.folded ?? row.combo) as string[],
    value: Number(row.value),
  }));
}

/** The response's breakdown map of a combination. */
export function breakdownMap(spec: BreakdownSpec, combo: string[]): Record<string, string> {
  return Object.fromEntries(spec.breakdowns.map(({ property }, i) => [property, combo[i] ?? ""]));
}

/** The series of one query's ranked rows, in rank order ("$others" last). */
export function trendSeries(spec: BreakdownSpec, eventKind: string, rows: Record<string, unknown>[]): TrendSeries[] {
  const byRank = new Map<number, TrendSeries>();
  for (const point of rankedPoints(rows)) {
    let series = byRank.get(point.rank);
    if (!series) {
      series = create(TrendSeriesSchema, { eventKind, breakdown: breakdownMap(spec, point.combo) });
      byRank.set(point.rank, series);
    }
    series.points.push(create(DataPointSchema, { time: timestampFromMs(point.time * 1000), value: point.value }));
  }
  const order = (rank: number) => (rank === 0 ? Number.POSITIVE_INFINITY : rank);
  return [...byRank.entries()].sort(([a], [b]) => order(a) - order(b)).map(([, series]) => series);
}
