// @clickhouse/client against the shared dev server, through the product's own client factory.

import { afterAll, describe, expect, test } from "bun:test";
import { ClickHouseError, ClickHouseLogLevel, createClient, TupleParam } from "@clickhouse/client";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();
const ch = createClickHouse({ url: env.clickhouseUrl, database: env.clickhouseDatabase });
afterAll(() => ch.close());

async function rows<T>(query: string, query_params?: Record<string, unknown>): Promise<T[]> {
  const result = await ch.query({ query, format: "JSONEachRow", query_params });
  return await result.json<T>();
}

async function clickhouseError(work: () => Promise<unknown>): Promise<ClickHouseError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ClickHouseError) return error;
    throw error;
  }
  throw new Error("expected a ClickHouseError, but the call succeeded");
}

describe("clickhouse-dev with @clickhouse/client", () => {
  test("ping answers", async () => {
    const result = await ch.ping();
    expect(result.success).toBe(true);
  });

  test("DDL creates a table that system.tables then lists", async () => {
    await ch.command({ query: "CREATE TABLE ddl_probe (id UInt32, name String) ENGINE = MergeTree ORDER BY id" });
    const tables = await rows<{ name: string; engine: string }>(
      "SELECT name, engine FROM system.tables WHERE database = {db:String} AND name = 'ddl_probe'",
      { db: env.clickhouseDatabase },
    );
    expect(tables).toEqual([{ name: "ddl_probe", engine: "MergeTree" }]);
  });

  test("100,000 rows inserted as JSONEachRow read back whole", async () => {
    await ch.command({ query: "CREATE TABLE bulk (id UInt64, kind LowCardinality(String), value Float64) ENGINE = MergeTree ORDER BY id" });
    const values = Array.from({ length: 100_000 }, (_, i) => ({ id: i, kind: `k${i % 7}`, value: i / 2 }));
    const summary = await ch.insert({ table: "bulk", values, format: "JSONEachRow" });
    expect(summary.summary?.written_rows).toBe("100000");
    const [totals] = await rows<{ n: string; ids: string; sum: number; kinds: string }>(
      "SELECT count() AS n, uniqExact(id) AS ids, sum(value) AS sum, uniqExact(kind) AS kinds FROM bulk",
    );
    expect(totals).toEqual({ n: "100000", ids: "100000", sum: (99_999 * 100_000) / 4, kinds: "7" });
    const sample = await rows<{ id: string; kind: string; value: number }>("SELECT * FROM bulk WHERE id IN (0, 99999) ORDER BY id");
    expect(sample).toEqual([
      { id: "0", kind: "k0", value: 0 },
      { id: "99999", kind: "k4", value: 49_999.5 },
    ]);
  });

  test("query parameters of many types use the client's wire encoding", async () => {
    const params = {
      s: "tab\there 'quoted' back\\slash\nnewline ünïcødé",
      nullable: null,
      present: "x",
      arr: ["a", "b'c", ""],
      map: { k1: "v1", "k'2": "v\t2" },
      dt: new Date("2024-05-06T07:08:09.123Z"),
      uuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
      big: "-9223372036854775808",
      float: 1.5e-7,
      flag: true,
      day: "2024-02-29",
      nums: [1, null, 3],
      tuple: new TupleParam(["t", 7]),
    };
    const [row] = await rows<Record<string, unknown>>(
      `SELECT {s:String} AS s, {nullable:Nullable(String)} AS nullable, {present:Nullable(String)} AS present,
              {arr:Array(String)} AS arr, {map:Map(String, String)} AS map, toTimeZone({dt:DateTime64(3)}, 'UTC') AS dt,
              {uuid:UUID} AS uuid, {big:Int64} AS big, {float:Float64} AS float, {flag:Bool} AS flag,
              {day:Date} AS day, {nums:Array(Nullable(Int32))} AS nums, {tuple:Tuple(String, UInt8)} AS tuple`,
      params,
    );
    expect(row).toEqual({
      s: params.s,
      nullable: null,
      present: "x",
      arr: ["a", "b'c", ""],
      map: { k1: "v1", "k'2": "v\t2" },
      dt: "2024-05-06 07:08:09.123",
      uuid: params.uuid,
      big: "-9223372036854775808",
      float: 1.5e-7,
      flag: true,
      day: "2024-02-29",
      nums: [1, null, 3],
      tuple: ["t", 7],
    });
  });

  test("an unknown table is ClickHouseError 60 UNKNOWN_TABLE", async () => {
    const error = await clickhouseError(() => ch.query({ query: "SELECT * FROM no_such_table", format: "JSONEachRow" }));
    expect(error.code).toBe("60");
    expect(error.type).toBe("UNKNOWN_TABLE");
    expect(error.message).toContain("no_such_table");
  });

  test("a syntax error is ClickHouseError 62 SYNTAX_ERROR", async () => {
    const error = await clickhouseError(() => ch.query({ query: "SELECT 1,,2", format: "JSONEachRow" }));
    expect(error.code).toBe("62");
    expect(error.type).toBe("SYNTAX_ERROR");
  });

  test("a wrong password is ClickHouseError 516 AUTHENTICATION_FAILED", async () => {
    const wrong = createClient({ url: env.clickhouseUrl, username: "default", password: "not-the-password", log: { level: ClickHouseLogLevel.OFF } });
    try {
      const error = await clickhouseError(() => wrong.query({ query: "SELECT 1", format: "JSONEachRow" }));
      expect(error.code).toBe("516");
      expect(error.type).toBe("AUTHENTICATION_FAILED");
    } finally {
      await wrong.close();
    }
  });

  test("a ReplacingMergeTree collapses duplicate keys under FINAL", async () => {
    await ch.command({
      query: "CREATE TABLE replacing (id UInt32, version UInt32, label String) ENGINE = ReplacingMergeTree(version) ORDER BY id",
    });
    await ch.insert({ table: "replacing", values: [{ id: 1, version: 1, label: "old" }, { id: 2, version: 1, label: "only" }], format: "JSONEachRow" });
    await ch.insert({ table: "replacing", values: [{ id: 1, version: 2, label: "new" }], format: "JSONEachRow" });
    const [raw] = await rows<{ n: string }>("SELECT count() AS n FROM replacing");
    expect(raw!.n).toBe("3");
    const collapsed = await rows<{ id: number; label: string }>("SELECT id, label FROM replacing FINAL ORDER BY id");
    expect(collapsed).toEqual([{ id: 1, label: "new" }, { id: 2, label: "only" }]);
  });

  test("a 1,000,000-row result streams row by row", async () => {
    const result = await ch.query({ query: "SELECT number FROM numbers(1000000)", format: "JSONCompactEachRow" });
    let count = 0;
    let sum = 0n;
    let batches = 0;
    for await (const batch of result.stream<[string]>()) {
      batches++;
      for (const row of batch) {
        count++;
        sum += BigInt(row.json()[0]);
      }
    }
    expect(count).toBe(1_000_000);
    expect(sum).toBe(499_999_500_000n);
    expect(batches).toBeGreaterThan(10);
  });

  test("insert_deduplication_token makes a repeated insert a no-op on a MergeTree with a dedup window", async () => {
    await ch.command({
      query: "CREATE TABLE dedup (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100",
    });
    for (let i = 0; i < 2; i++) {
      await ch.insert({ table: "dedup", values: [{ id: 1 }, { id: 2 }], format: "JSONEachRow", clickhouse_settings: { insert_deduplication_token: "batch-1" } });
    }
    const [row] = await rows<{ n: string }>("SELECT count() AS n FROM dedup");
    expect(row!.n).toBe("2");
  });
});
