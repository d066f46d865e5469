// What a query builder produces: the ClickHouse queries one insight needs (each SQL text with its parameters) and
// how their rows become the response. Builders are pure (request → plan); the service runs the queries, in order,
// and hands every query's rows to `shape`.

import type { InsightQuerySpec, QueryResponse } from "../../gen/shared/insights/v1/insights_pb.ts";
import type { QueryParams } from "./query-params.ts";
import type { TimeWindow } from "./time-window.ts";

export interface SqlQuery {
  sql: string;
  params: Record<string, unknown>;
}

export interface InsightPlan {
  queries: SqlQuery[];
  /** `rows[i]` holds the rows of `queries[i]` (JSONEachRow objects). */
  shape(rows: Record<string, unknown>[][]): QueryResponse["result"];
}

export interface InsightInput {
  spec: InsightQuerySpec;
  window: TimeWindow;
  /** Fresh for this request, bound to the caller's project. */
  params: QueryParams;
}

export type InsightBuilder = (input: InsightInput) => InsightPlan;
