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
import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FieldError } from "../field-error.ts";
import { eventPropertyTerm, resolvedSource } from "./property-sql.ts";
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
    const source = resolvedSource(property, PropertySource.UNSPECIFIED, `spec.breakdowns[${i}].property`) as PropertySource.AUTO | PropertySource.CUSTOM;
    return `CAST(${eventPropertyTerm(property, source, params, events).text} AS String)`;
  });
}

/** A row's combination of breakdown values, an Array(String) (empty without breakdowns). */
export function combinationSql(terms: string[]): string {
  return `CAST([${terms.join(", ")}] AS Array(String))`;
}

export interface RankedSeriesInput {
  /** A subquery whose rows carry a bucket `t` (DateTime) and a combination `combo` (Array(String)). */
  rowsSql: string;
  /** The aggregate over rows that makes a point (Float64). */
  value: string;
  /** The aggregate over a combination's rows in the whole window that ranks it (highest first). */
  rankBy: string;
  breakdownCount: number;
  limit: number;
  params: QueryParams;
}

/**
 * Rows `{time (Unix seconds), series_rank, folded, value}`: one per bucket and kept combination, `series_rank` 1… in ranking
 * order (ties by combination ascending), and 0 for "$others" (every key `$others`). Ordered by rank, then time.
 */
export function rankedSeriesSql(input: RankedSeriesInput): string {
  const { rowsSql, value, rankBy, breakdownCount, limit, params } = input;
  if (breakdownCount === 0) {
    return `SELECT toUnixTimestamp(t) AS time, 1 AS series_rank, CAST([] AS Array(String)) AS combo, ${value} AS value
FROM (${rowsSql}) GROUP BY t ORDER BY time`;
  }
  const others = params.add(Array.from({ length: breakdownCount }, () => OTHERS), "Array(String)");
  const top = `SELECT arraySlice(arrayMap(x -> x.2, arraySort(x -> (-x.1, x.2), groupArray((weight, combo)))), 1, ${params.add(limit, "UInt32")})
FROM (SELECT combo, toFloat64(${rankBy}) AS weight FROM series_rows GROUP BY combo)`;
  return `WITH series_rows AS (${rowsSql}), (${top}) AS kept
SELECT toUnixTimestamp(t) AS time, indexOf(kept, series_rows.combo) AS series_rank, if(series_rank = 0, ${others}, series_rows.combo) AS folded, ${value} AS value
FROM series_rows GROUP BY t, series_rank, folded ORDER BY series_rank = 0, series_rank, time`;
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
