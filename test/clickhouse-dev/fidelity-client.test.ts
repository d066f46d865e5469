// Where the dev server once differed from a real ClickHouse server, seen through @clickhouse/client as a new
// user would use it (one test per difference; http-fidelity.test.ts checks the same on the wire).

import { afterAll, describe, expect, test } from "bun:test";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { ClickHouseError, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();
const plain = createClient({ url: env.clickhouseUrl, database: env.clickhouseDatabase, log: { level: ClickHouseLogLevel.OFF } });
const product = createClickHouse({ url: env.clickhouseUrl, database: env.clickhouseDatabase });
afterAll(() => Promise.all([plain.close(), product.close()]));

const bytesOf = (parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));
const raw = (data: Uint8Array) => Readable.from([Buffer.from(data)], { objectMode: false });

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function rows<T>(query: string): Promise<T[]> {
  return await (await plain.query({ query, format: "JSONEachRow" })).json<T>();
}

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  return await work().then(
    () => { throw new Error("expected the call to fail, but it succeeded"); },
    (error: unknown) => error,
  );
}

describe("clickhouse-dev is what @clickhouse/client expects of ClickHouse", () => {
  test("(a) RowBinary, TSV, CSV and Parquet inserts reach the table byte for byte", async () => {
    for (const name of ["rb_rows", "tsv_rows", "csv_rows", "pq_rows"]) {
      await plain.command({ query: `CREATE TABLE ${name} (n UInt8, s String) ENGINE = MergeTree ORDER BY n` });
    }
    // First byte 0x0a (a newline) and strings that start with whitespace: nothing may be added or eaten.
    const rowBinary = bytesOf([[0x0a, 2], " \t", [0x05, 3], "x\ny"]);
    const written = await plain.exec({ query: "INSERT INTO rb_rows FORMAT RowBinary", values: raw(rowBinary) });
    await collect(written.stream);
    await plain.insert({ table: "tsv_rows", values: raw(Buffer.from("\t\n")), format: "TabSeparated" });
    await plain.insert({ table: "tsv_rows", values: raw(Buffer.from("7\t  lead\\tand\\\\tail \n")), format: "TabSeparated" });
    await plain.insert({ table: "csv_rows", values: raw(Buffer.from('8," a,b "\n9,"q""uote"\n')), format: "CSV" });
    const parquet = await collect((await plain.exec({ query: "SELECT toUInt8(number) AS n, repeat(' ', number) || 'p' AS s FROM numbers(3) FORMAT Parquet" })).stream);
    expect(parquet.subarray(0, 4).toString()).toBe("PAR1");
    await plain.insert({ table: "pq_rows", values: raw(parquet), format: "Parquet" });

    expect(await rows("SELECT n, s FROM rb_rows ORDER BY n")).toEqual([{ n: 5, s: "x\ny" }, { n: 10, s: " \t" }]);
    expect(await rows("SELECT n, s FROM tsv_rows ORDER BY n")).toEqual([{ n: 0, s: "" }, { n: 7, s: "  lead\tand\\tail " }]);
    expect(await rows("SELECT n, s FROM csv_rows ORDER BY n")).toEqual([{ n: 8, s: " a,b " }, { n: 9, s: 'q"uote' }]);
    expect(await rows("SELECT n, s FROM pq_rows ORDER BY n")).toEqual([{ n: 0, s: "p" }, { n: 1, s: " p" }, { n: 2, s: "  p" }]);
  });

  test("(b) an insert with no rows succeeds and writes nothing", async () => {
    await plain.command({ query: "CREATE TABLE empty_rows (n UInt8) ENGINE = MergeTree ORDER BY n" });
    const result = await plain.insert({ table: "empty_rows", values: raw(new Uint8Array(0)), format: "TabSeparated" });
    expect(result.executed).toBe(true);
    expect(result.summary?.written_rows).toBe("0");
    expect(await rows("SELECT count() AS c FROM empty_rows")).toEqual([{ c: "0" }]);
  });

  test("(c) a bare word is a syntax error, not an implicit SELECT", async () => {
    const error = await rejection(() => plain.command({ query: "invalid" }));
    expect(error).toBeInstanceOf(ClickHouseError);
    expect([(error as ClickHouseError).code, (error as ClickHouseError).type]).toEqual(["62", "SYNTAX_ERROR"]);
  });

  test("(d) an error answer is gzipped when the client asked for compressed responses", async () => {
    const result = await product.exec({ query: "SELECT * FROM no_such_table_d", decompress_response_stream: false, ignore_error_response: true });
    expect(result.response_headers["content-encoding"]).toBe("gzip");
    const body = gunzipSync(await collect(result.stream)).toString();
    expect(body).toMatch(/^Code: 60\. DB::Exception: .*no_such_table_d.* \(UNKNOWN_TABLE\) \(version [^)]+\)\n$/s);
  });

  test("(e) each format comes with the Content-Type ClickHouse gives it", async () => {
    const cases = [
      ["JSONEachRow", "application/x-ndjson; charset=UTF-8"],
      ["JSON", "application/json; charset=UTF-8"],
      ["JSONCompactEachRow", "text/plain; charset=UTF-8"],
      ["TabSeparated", "text/tab-separated-values; charset=UTF-8"],
      ["CSV", "text/csv; charset=UTF-8; header=absent"],
      ["CSVWithNames", "text/csv; charset=UTF-8; header=present"],
      ["Parquet", "application/octet-stream"],
    ] as const;
    for (const [format, type] of cases) {
      const result = await plain.query({ query: "SELECT 1 AS one", format });
      await result.text();
      expect({ format, type: result.response_headers["content-type"] }).toEqual({ format, type });
    }
  });

  test("(f) JSON reports rows_before_limit_at_least and the rows read", async () => {
    const result = await plain.query({ query: "SELECT number FROM numbers(100) WHERE number % 2 = 0 LIMIT 3", format: "JSON" });
    const doc = await result.json<{ number: string }>();
    expect(doc.data).toEqual([{ number: "0" }, { number: "2" }, { number: "4" }]);
    expect(doc.rows).toBe(3);
    expect(doc.rows_before_limit_at_least).toBe(50);
    expect(doc.statistics?.rows_read).toBe(100);
  });

  test("(g) WITH TOTALS in JSON is one document with a totals key", async () => {
    const result = await plain.query({ query: "SELECT number % 3 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k", format: "JSON" });
    const doc = await result.json<{ k: number; c: string }>();
    expect(doc.data).toEqual([{ k: 0, c: "4" }, { k: 1, c: "3" }, { k: 2, c: "3" }]);
    expect(doc.totals).toEqual({ k: 0, c: "10" });
  });

  test("(h) an error after rows have streamed rejects the client's stream with that error", async () => {
    const result = await product.query({
      query: "SELECT number, throwIf(number = 100000, 'boom') AS x FROM numbers(200000)",
      format: "JSONEachRow",
      clickhouse_settings: { max_block_size: "1000" },
    });
    let seen = 0;
    const error = await rejection(async () => {
      for await (const batch of result.stream<{ number: string }>()) {
        for (const row of batch) if (Number(row.json().number) === seen) seen++;
      }
    });
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(100_000);
    expect(error).toBeInstanceOf(ClickHouseError);
    expect((error as ClickHouseError).code).toBe("395");
    expect((error as ClickHouseError).message).toContain("boom");
  });

  test("(i) an error body says `Code: N. DB::Exception:` once", async () => {
    await plain.command({ query: "CREATE TABLE fmt_rows (n UInt8) ENGINE = MergeTree ORDER BY n" });
    const result = await plain.exec({
      query: "INSERT INTO fmt_rows FORMAT NoSuchFormat",
      values: raw(Buffer.from("1\n")),
      ignore_error_response: true,
    });
    const body = (await collect(result.stream)).toString();
    expect(result.response_headers["x-clickhouse-exception-code"]).toBe("73");
    expect(body).toMatch(/^Code: 73\. DB::Exception: Unknown format NoSuchFormat\. \(UNKNOWN_FORMAT\) \(version [^()]+\)\n$/);
  });
});
