// Where the dev server once differed from a real ClickHouse server, byte for byte on the wire (fetch, no client
// library); fidelity-client.test.ts checks the same through @clickhouse/client.

import { describe, expect, test } from "bun:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();

function post(body: string | Uint8Array, params: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const url = new URL(env.clickhouseUrl);
  url.searchParams.set("database", env.clickhouseDatabase);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return fetch(url, { method: "POST", body, headers, decompress: false } as RequestInit);
}

async function ok(body: string | Uint8Array, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const response = await post(body, params, headers);
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return response;
}

const text = async (sql: string) => (await (await ok(sql)).text()).trim();
const insert = (table: string, format: string, data: string | Uint8Array, headers: Record<string, string> = {}) =>
  ok(data, { query: `INSERT INTO ${table} FORMAT ${format}` }, headers);
const bytesOf = (parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

describe("clickhouse-dev answers HTTP as ClickHouse does", () => {
  test("(a) INSERT data in the body reaches the engine byte for byte, in any format and either way it is sent", async () => {
    for (const name of ["h_rb", "h_tsv", "h_csv", "h_pq", "h_inline", "h_gz"]) {
      await text(`CREATE TABLE ${name} (n UInt8, s String) ENGINE = MergeTree ORDER BY n`);
    }
    await text("CREATE TABLE h_one (n UInt8) ENGINE = MergeTree ORDER BY n");
    await insert("h_one", "RowBinary", new Uint8Array([0x05]));
    expect(await text("SELECT groupArray(n) FROM h_one")).toBe("[5]");

    await insert("h_rb", "RowBinary", bytesOf([[0x0a, 2], " \t", [0x20, 0]]));
    await insert("h_tsv", "TabSeparated", "\t\n3\t lead\\ttab\n");
    await insert("h_csv", "CSV", '4," a,b "\n5,"q""uote"\n');
    const parquet = new Uint8Array(await (await ok("SELECT toUInt8(number + 6) AS n, repeat(' ', number) || 'p' AS s FROM numbers(2) FORMAT Parquet")).arrayBuffer());
    await insert("h_pq", "Parquet", parquet);
    await ok(bytesOf(["INSERT INTO h_inline FORMAT RowBinary\n", [0x0a, 1, 0x0a]]));
    await insert("h_gz", "RowBinary", gzipSync(bytesOf([[0x0d, 1, 0x0d]])), { "content-encoding": "gzip" });

    const tables = ["h_rb", "h_tsv", "h_csv", "h_pq", "h_inline", "h_gz"].map((name) => `SELECT n, s FROM ${name}`);
    const all = await text(`SELECT n, s FROM (${tables.join(" UNION ALL ")}) ORDER BY n, s FORMAT JSONCompactEachRow`);
    expect(all.split("\n").map((line) => JSON.parse(line))).toEqual([
      [0, ""], [3, " lead\ttab"], [4, " a,b "], [5, 'q"uote'], [6, "p"], [7, " p"], [10, "\n"], [10, " \t"], [13, "\r"], [32, ""],
    ]);
  });

  test("(b) an INSERT with an empty body answers 200 with 0 rows written, and still checks the table", async () => {
    await text("CREATE TABLE h_empty (n UInt8) ENGINE = MergeTree ORDER BY n");
    for (const response of [await post("", { query: "INSERT INTO h_empty FORMAT JSONEachRow" }), await post("INSERT INTO h_empty FORMAT TSV")]) {
      expect(response.status).toBe(200);
      expect(JSON.parse(response.headers.get("x-clickhouse-summary")!).written_rows).toBe("0");
    }
    expect(await text("SELECT count() FROM h_empty")).toBe("0");
    const missing = await post("", { query: "INSERT INTO h_no_such_table FORMAT JSONEachRow" });
    expect([missing.status, missing.headers.get("x-clickhouse-exception-code")]).toEqual([404, "60"]);
  });

  test("(c) a bare word is a syntax error (62), not `SELECT invalid` (47)", async () => {
    const response = await post("invalid");
    expect([response.status, response.headers.get("x-clickhouse-exception-code")]).toEqual([400, "62"]);
    expect(await response.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error: failed at position 1 \(invalid\)/);
  });

  test("(d) an error body is gzipped when enable_http_compression=1 and the client accepts gzip", async () => {
    const response = await post("SELECT * FROM h_missing_d", { enable_http_compression: "1" }, { "accept-encoding": "gzip" });
    expect([response.status, response.headers.get("content-encoding")]).toEqual([404, "gzip"]);
    const body = gunzipSync(new Uint8Array(await response.arrayBuffer())).toString();
    expect(body).toMatch(/^Code: 60\. DB::Exception: .*h_missing_d.*\(UNKNOWN_TABLE\) \(version [^)]+\)\n$/s);
    const unasked = await post("SELECT * FROM h_missing_d", {}, { "accept-encoding": "gzip" });
    expect(unasked.headers.get("content-encoding")).toBeNull();
    expect(await unasked.text()).toStartWith("Code: 60.");
  });

  test("(e) the Content-Type of a result is the one ClickHouse gives its format", async () => {
    const cases: [string, string][] = [
      ["JSON", "application/json; charset=UTF-8"],
      ["JSONEachRow", "application/x-ndjson; charset=UTF-8"],
      ["JSONStringsEachRow", "application/x-ndjson; charset=UTF-8"],
      ["JSONCompactEachRow", "text/plain; charset=UTF-8"],
      ["TSV", "text/tab-separated-values; charset=UTF-8"],
      ["TabSeparatedWithNames", "text/tab-separated-values; charset=UTF-8"],
      ["CSV", "text/csv; charset=UTF-8; header=absent"],
      ["RowBinary", "application/octet-stream"],
      ["Native", "application/octet-stream"],
      ["Parquet", "application/octet-stream"],
    ];
    for (const [format, type] of cases) {
      const response = await ok(`SELECT 1 FORMAT ${format}`);
      await response.arrayBuffer();
      expect({ format, type: response.headers.get("content-type") }).toEqual({ format, type });
    }
    const limited = await ok("SELECT 1 AS x FORMAT JSON", { max_rows_to_read: "1", readonly: "1" });
    expect(limited.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    await limited.arrayBuffer();
    const arrays = await ok("SELECT 1 AS x FORMAT JSONEachRow", { output_format_json_array_of_rows: "1" });
    expect([arrays.headers.get("content-type"), await arrays.text()]).toEqual(["application/json; charset=UTF-8", '[\n{"x":1}\n]\n']);
  });

  test("(f) JSON carries rows_before_limit_at_least and real statistics", async () => {
    const doc = (await (await ok("SELECT number FROM numbers(100) WHERE number % 2 = 0 LIMIT 3 FORMAT JSON")).json()) as {
      rows: number;
      rows_before_limit_at_least: number;
      statistics: { rows_read: number; bytes_read: number };
    };
    expect([doc.rows, doc.rows_before_limit_at_least, doc.statistics.rows_read, doc.statistics.bytes_read]).toEqual([3, 50, 100, 800]);
    const noLimit = await (await ok("SELECT 1 AS x FORMAT JSON")).json();
    expect(noLimit).not.toHaveProperty("rows_before_limit_at_least");
  });

  test("(g) WITH TOTALS in JSON is one document with a totals key", async () => {
    const body = await (await ok("SELECT number % 3 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k FORMAT JSONCompact")).text();
    const doc = JSON.parse(body);
    expect(doc.data).toEqual([[0, "4"], [1, "3"], [2, "3"]]);
    expect(doc.totals).toEqual([0, "10"]);
    expect(doc.rows).toBe(3);
  });

  test("(h) an error after rows have streamed ends the body with the tagged exception block", async () => {
    const response = await post("SELECT throwIf(number = 100000, 'boom') FROM numbers(200000) FORMAT TSV", { max_block_size: "1000" });
    expect(response.status).toBe(200);
    const tag = response.headers.get("x-clickhouse-exception-tag")!;
    expect(tag).toMatch(/^[a-z]{16}$/);
    const body = await response.text();
    const start = body.indexOf(`\r\n__exception__\r\n${tag}\r\n`);
    expect(start).toBeGreaterThan(0);
    expect(body.slice(0, start)).toMatch(/^(0\n)+$/);
    const block = body.slice(start + `\r\n__exception__\r\n${tag}\r\n`.length);
    const match = /^(Code: 395\. DB::Exception: [^\n]*boom[^\n]*\(FUNCTION_THROW_IF_VALUE_IS_NON_ZERO\) \(version [^\n]+\)\n)(\d+) ([a-z]+)\r\n__exception__\r\n$/.exec(block);
    expect(match).not.toBeNull();
    expect([Number(match![2]), match![3]]).toEqual([Buffer.byteLength(match![1]!), tag]);
  });

  test("(i) every error body is exactly one `Code: N. DB::Exception: message. (NAME) (version X)` line", async () => {
    await text("CREATE TABLE h_fmt (n UInt8) ENGINE = MergeTree ORDER BY n");
    const cases = [
      await post("1\n", { query: "INSERT INTO h_fmt FORMAT NoSuchFormat" }),
      await post("x\n", { query: "INSERT INTO h_fmt FORMAT TSV" }),
      await post("SELECT * FROM h_no_table_i"),
      await post("SELECT 1 FORMAT NoSuchFormat"),
    ];
    for (const response of cases) {
      const body = await response.text();
      expect(body).toMatch(/^Code: \d+\. DB::Exception: .* \([A-Z0-9_]+\) \(version [0-9.]+\)\n$/s);
      expect(body.match(/DB::Exception/g)).toHaveLength(1);
      expect(body.match(/\(version /g)).toHaveLength(1);
    }
  });
});
