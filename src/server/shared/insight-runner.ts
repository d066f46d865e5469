// Runs an insight's queries on ClickHouse with the read limits every dashboard query gets.

import type { SqlQuery } from "../../domain/insights/insight-plan.ts";
import type { SharedDeps } from "./shared-deps.ts";

/** Seconds a query may run before ClickHouse stops it. */
export const MAX_EXECUTION_SECONDS = 30;
/** Rows a query may return; builders cap their own results far below this. */
export const MAX_RESULT_ROWS = 100_000;

export async function runInsightQueries(deps: SharedDeps, queries: SqlQuery[], signal: AbortSignal): Promise<Record<string, unknown>[][]> {
  const results: Record<string, unknown>[][] = [];
  for (const query of queries) {
    const result = await deps.clickhouse.query({
      query: query.sql,
      query_params: query.params,
      format: "JSONEachRow",
      abort_signal: signal,
      clickhouse_settings: {
        max_execution_time: MAX_EXECUTION_SECONDS,
        max_result_rows: String(MAX_RESULT_ROWS),
        result_overflow_mode: "throw",
        readonly: "2",
      },
    });
    results.push(await result.json<Record<string, unknown>>());
  }
  return results;
}
