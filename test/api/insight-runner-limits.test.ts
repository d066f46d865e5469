// The read limits of insight queries on the dev ClickHouse: a query stopped for time, result size or memory comes
// back as a Connect error naming the reason; anything else ClickHouse refuses propagates as it was.

import type { ClickHouseClient } from "@clickhouse/client";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { READ_LIMITS, runInsightQueries } from "../../src/server/shared/insight-runner.ts";

let clickhouse: ClickHouseClient;
beforeAll(() => {
  clickhouse = createClickHouse({ url: process.env.CLICKHOUSE_URL!, database: "default" });
});
afterAll(() => clickhouse.close());

const run = (sql: string, limits = READ_LIMITS, params: Record<string, unknown> = {}) =>
  runInsightQueries({ clickhouse }, [{ sql, params }], new AbortController().signal, limits);

async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("insight read limits", () => {
  test("within the limits: rows of every query, in order", async () => {
    const rows = await runInsightQueries({ clickhouse }, [
      { sql: "SELECT toUInt8(number) AS n FROM numbers(3)", params: {} },
      { sql: "SELECT {x:String} AS x", params: { x: "' OR 1=1 --" } },
    ], new AbortController().signal);
    expect(rows).toEqual([[{ n: 0 }, { n: 1 }, { n: 2 }], [{ x: "' OR 1=1 --" }]]);
  });

  test("too many result rows: resource_exhausted naming the cap", async () => {
    const error = await refusal(run("SELECT number FROM numbers(1000)", { ...READ_LIMITS, maxResultRows: 10 }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("the result has more than 10 rows (ClickHouse TOO_MANY_ROWS_OR_BYTES); narrow the time range, add filters or use fewer breakdowns");
  });

  test("too long: deadline_exceeded naming the time limit", async () => {
    const error = await refusal(run("SELECT count() FROM numbers(100000000000)", { ...READ_LIMITS, maxExecutionSeconds: 1 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.rawMessage).toBe("the query ran longer than 1 s (ClickHouse TIMEOUT_EXCEEDED); narrow the time range, add filters or use fewer breakdowns");
  });

  test("too much memory: resource_exhausted naming the memory cap", async () => {
    const error = await refusal(run("SELECT groupArray(number) FROM numbers(10000000)", { ...READ_LIMITS, maxMemoryBytes: 1024 ** 2 }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("the query needs more than 1 MiB of memory (ClickHouse MEMORY_LIMIT_EXCEEDED); narrow the time range, add filters or use fewer breakdowns");
  });

  test("writes are refused (readonly) and, like any other failure, propagate unmapped", async () => {
    for (const sql of ["CREATE TABLE pug_runner_x (a Int8) ENGINE = Memory", "SELECT * FROM no_such_table_here"]) {
      const error = await run(sql).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ConnectError);
    }
    await expect(run("CREATE TABLE pug_runner_x (a Int8) ENGINE = Memory")).rejects.toMatchObject({ type: "READONLY" });
  });
});
