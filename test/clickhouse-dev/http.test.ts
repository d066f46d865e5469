// The dev server's HTTP interface byte for byte: what the client library relies on but hides.

import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { gunzipSync, gzipSync } from "node:zlib";
import { testEnv } from "../support/test-env.ts";

const env = testEnv();
const db = env.clickhouseDatabase;

function post(sql: string | Uint8Array, params: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const url = new URL(env.clickhouseUrl);
  url.searchParams.set("database", db);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return fetch(url, { method: "POST", body: sql, headers, decompress: false } as RequestInit);
}

async function text(sql: string, params: Record<string, string> = {}): Promise<string> {
  const response = await post(sql, params);
  const body = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}`);
  return body.trim();
}

describe("clickhouse-dev HTTP interface", () => {
  test("GET / and /ping answer Ok. without credentials", async () => {
    for (const path of ["/", "/ping"]) {
      const response = await fetch(new URL(path, env.clickhouseUrl));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("Ok.\n");
    }
  });

  test("a GET query reads but may not write", async () => {
    const url = new URL(env.clickhouseUrl);
    url.searchParams.set("query", "SELECT 40 + 2");
    expect(await (await fetch(url)).text()).toBe("42\n");
    url.searchParams.set("query", `CREATE TABLE ${db}.via_get (a UInt8) ENGINE = Memory`);
    const refused = await fetch(url);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("x-clickhouse-exception-code")).toBe("164");
    expect(await text(`EXISTS TABLE via_get`)).toBe("0");
  });

  test("errors carry the status, code header and ClickHouse's body format", async () => {
    const cases = [
      { sql: "SELECT * FROM missing_table", status: 404, code: "60", name: "UNKNOWN_TABLE" },
      { sql: "SELECT 1,,2", status: 400, code: "62", name: "SYNTAX_ERROR" },
      { sql: "SELECT 1; SELECT 2", status: 400, code: "62", name: "SYNTAX_ERROR" },
      { sql: "   ", status: 400, code: "62", name: "SYNTAX_ERROR" },
      { sql: "SELECT unknownFunctionXyz(1)", status: 404, code: "46", name: "UNKNOWN_FUNCTION" },
    ];
    for (const c of cases) {
      const response = await post(c.sql);
      const body = await response.text();
      expect({ sql: c.sql, status: response.status, code: response.headers.get("x-clickhouse-exception-code") }).toEqual({
        sql: c.sql, status: c.status, code: c.code,
      });
      expect(body).toMatch(new RegExp(`^Code: ${c.code}\\. DB::Exception: .*\\(${c.name}\\) \\(version [0-9.]+\\)\\n$`, "s"));
    }
  });

  test("a statement followed only by a semicolon and comments is one statement", async () => {
    expect(await text("SELECT 'a;b' AS x; -- trailing comment\n")).toBe("a;b");
  });

  test("settings from the URL apply to their own request only", async () => {
    expect(await text("SELECT getSetting('max_threads')", { max_threads: "3" })).toBe("3");
    expect(await text("SELECT getSetting('max_threads') != 3")).toBe("1");
    const limited = await post("SELECT number FROM numbers(100)", { max_result_rows: "10", result_overflow_mode: "throw" });
    expect(limited.status).toBe(500);
    expect(limited.headers.get("x-clickhouse-exception-code")).toBe("396");
    const unknown = await post("SELECT 1", { no_such_setting_abc: "1" });
    expect(unknown.headers.get("x-clickhouse-exception-code")).toBe("115");
  });

  test("SET and USE without a session change nothing for the next request", async () => {
    await text("SET max_threads = 5");
    expect(await text("SELECT getSetting('max_threads') != 5")).toBe("1");
    const bare = (sql: string) => fetch(env.clickhouseUrl, { method: "POST", body: sql }).then((r) => r.text());
    await bare("USE system");
    expect(await bare("SELECT currentDatabase()")).toBe("default\n");
  });

  test("a session keeps SET, USE and temporary tables between requests, until it idles out", async () => {
    const session = { session_id: `s-${crypto.randomUUID()}`, session_timeout: "1" };
    const bare = (sql: string) => fetch(`${env.clickhouseUrl}/?session_id=${session.session_id}&session_timeout=1`, { method: "POST", body: sql }).then((r) => r.text());
    await bare("USE system");
    expect(await bare("SELECT currentDatabase()")).toBe("system\n");
    await text("SET max_threads = 5", session);
    await text("CREATE TEMPORARY TABLE scratch (a UInt8)", session);
    await text("INSERT INTO scratch VALUES (7)", session);
    expect(await text("SELECT getSetting('max_threads'), (SELECT sum(a) FROM scratch)", session)).toBe("5\t7");
    const missing = await post("SELECT 1", { session_id: `s-${crypto.randomUUID()}`, session_check: "1" });
    expect(missing.headers.get("x-clickhouse-exception-code")).toBe("372");
    expect((await post("SELECT 1", { ...session, session_check: "1" })).status).toBe(200);
    await Bun.sleep(1_100);
    const expired = await post("SELECT 1", { ...session, session_check: "1" });
    expect(expired.headers.get("x-clickhouse-exception-code")).toBe("372");
  });

  test("an insert with the query in the URL takes the body as rows and reports a summary", async () => {
    await text("CREATE TABLE http_rows (id UInt32, name String) ENGINE = MergeTree ORDER BY id");
    const rows = '{"id":1,"name":"a"}\n{"id":2,"name":"b;c"}\n';
    const response = await post(rows, { query: "INSERT INTO http_rows FORMAT JSONEachRow" });
    expect(response.status).toBe(200);
    const summary = JSON.parse(response.headers.get("x-clickhouse-summary")!);
    expect(summary.written_rows).toBe("2");
    expect(response.headers.get("x-clickhouse-query-id")).toBeTruthy();
    expect(await text("SELECT groupArray(name) FROM (SELECT name FROM http_rows ORDER BY id)")).toBe("['a','b;c']");
  });

  test("a gzip request body is decompressed and a gzip response sent when asked for", async () => {
    await text("CREATE TABLE http_gzip (id UInt32) ENGINE = MergeTree ORDER BY id");
    const rows = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: i })).join("\n");
    const inserted = await post(gzipSync(rows), { query: "INSERT INTO http_gzip FORMAT JSONEachRow" }, { "content-encoding": "gzip" });
    expect(inserted.status).toBe(200);

    const response = await post("SELECT sum(id) FROM http_gzip", { enable_http_compression: "1" }, { "accept-encoding": "gzip" });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    const body = new Uint8Array(await response.arrayBuffer());
    expect(gunzipSync(body).toString().trim()).toBe(String((4999 * 5000) / 2));

    const plain = await post("SELECT 1", {}, { "accept-encoding": "gzip" });
    expect(plain.headers.get("content-encoding")).toBeNull();
  });

  test("a large result arrives as a chunked stream, block by block", async () => {
    const response = await post("SELECT number FROM numbers(1000000) FORMAT TabSeparated");
    expect(response.headers.get("content-length")).toBeNull();
    const reader = response.body!.getReader();
    let chunks = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      bytes += value.byteLength;
    }
    expect(chunks).toBeGreaterThan(5);
    expect(bytes).toBe(6_888_890);
  });

  test("a client that abandons a streamed result frees the engine for the next query", async () => {
    const response = await post("SELECT number FROM numbers(50000000)");
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(await text("SELECT 'next'")).toBe("next");
  });

  test("query parameters reach the engine in wire encoding, NULL included", async () => {
    const result = await text("SELECT {a:Nullable(String)} IS NULL, {b:String}, {c:Array(UInt8)}", {
      param_a: "\\N",
      param_b: "x\\ty",
      param_c: "[1,2]",
    });
    expect(result).toBe("1\tx\\ty\t[1,2]");
  });

  test("query parameters also reach the VALUES of an INSERT, in the body or after the URL's statement", async () => {
    await text("CREATE TABLE http_params (a UInt8, s String) ENGINE = MergeTree ORDER BY a");
    await text("INSERT INTO http_params VALUES ({a:UInt8}, {s:String})", { param_a: "7", param_s: "tab\\there" });
    const response = await post("({a:UInt8}, 'url')", { query: "INSERT INTO http_params VALUES", param_a: "9" });
    expect(response.status).toBe(200);
    expect(await text("SELECT groupArray((a, s)) FROM (SELECT * FROM http_params ORDER BY a)")).toBe("[(7,'tab\\there'),(9,'url')]");
  });

  test("an INSERT whose upload the client cuts off writes nothing", async () => {
    await text("CREATE TABLE http_cut (a UInt32) ENGINE = MergeTree ORDER BY a");
    const url = new URL(env.clickhouseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    const target = `/?database=${db}&query=${encodeURIComponent("INSERT INTO http_cut FORMAT JSONEachRow")}`;
    const rows = Array.from({ length: 1000 }, (_, i) => `{"a":${i}}\n`).join("");
    socket.write(`POST ${target} HTTP/1.1\r\nHost: ${url.host}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    socket.write(`${Buffer.byteLength(rows).toString(16)}\r\n${rows}\r\n`);
    await Bun.sleep(200);
    socket.destroy();
    await Bun.sleep(300);
    expect(await text("SELECT count() FROM http_cut")).toBe("0");
  });
});
