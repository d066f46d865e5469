// Runs an insight's queries on ClickHouse with the read limits every dashboard query gets. A query ClickHouse stops
// at one of those limits comes back as an error the caller can act on (a shorter range, fewer breakdowns), not as
// `internal`; any other failure propagates unchanged.

import { ClickHouseError } from "@clickhouse/client";
import type { SqlQuery } from "../../domain/insights/insight-plan.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { SharedDeps } from "./shared-deps.ts";

export interface ReadLimits {
  /** Seconds a query may run before ClickHouse stops it. */
  maxExecutionSeconds: number;
  /** Rows a query may return; builders cap their own results far below this. */
  maxResultRows: number;
  /** Bytes of memory one query may use. */
  maxMemoryBytes: number;
}

export const READ_LIMITS: ReadLimits = { maxExecutionSeconds: 30, maxResultRows: 100_000, maxMemoryBytes: 4 * 1024 ** 3 };

const ADVICE = "narrow the time range, add filters or use fewer breakdowns";

/** ClickHouse error codes that mean "a read limit stopped this query", by what the caller is told. */
const LIMIT_ERRORS: Record<string, (limits: ReadLimits) => { code: Code; reason: string }> = {
  "159": (l) => ({ code: Code.DeadlineExceeded, reason: `the query ran longer than ${l.maxExecutionSeconds} s` }), // TIMEOUT_EXCEEDED
  "160": () => ({ code: Code.DeadlineExceeded, reason: "the query would run too long" }), // TOO_SLOW (estimated time)
  "396": (l) => ({ code: Code.ResourceExhausted, reason: `the result has more than ${l.maxResultRows} rows` }), // TOO_MANY_ROWS_OR_BYTES
  "241": (l) => ({ code: Code.ResourceExhausted, reason: `the query needs more than ${l.maxMemoryBytes / 1024 ** 2} MiB of memory` }), // MEMORY_LIMIT_EXCEEDED
};

export async function runInsightQueries(deps: Pick<SharedDeps, "clickhouse">, queries: SqlQuery[], signal: AbortSignal, limits = READ_LIMITS): Promise<Record<string, unknown>[][]> {
  const results: Record<string, unknown>[][] = [];
  for (const query of queries) {
    try {
      const result = await deps.clickhouse.query({
        query: query.sql,
        query_params: query.params,
        format: "JSONEachRow",
        abort_signal: signal,
        clickhouse_settings: {
          max_execution_time: limits.maxExecutionSeconds,
          timeout_overflow_mode: "throw",
          max_result_rows: String(limits.maxResultRows),
          result_overflow_mode: "throw",
          max_memory_usage: String(limits.maxMemoryBytes),
          // 2, not 1: reads only, but the settings above may still be sent with the query.
          readonly: "2",
        },
      });
      results.push(await result.json<Record<string, unknown>>());
    } catch (error) {
      throw limitError(error, limits) ?? error;
    }
  }
  return results;
}

/** The Connect error for a query stopped at a read limit; undefined for any other failure. */
export function limitError(error: unknown, limits = READ_LIMITS): ConnectError | undefined {
  if (!(error instanceof ClickHouseError)) return undefined;
  const describe = Object.hasOwn(LIMIT_ERRORS, error.code) ? LIMIT_ERRORS[error.code] : undefined;
  if (!describe) return undefined;
  const { code, reason } = describe(limits);
  return new ConnectError(`${reason} (ClickHouse ${error.type}); ${ADVICE}`, code, undefined, undefined, error);
}
