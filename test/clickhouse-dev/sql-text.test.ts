import { describe, expect, test } from "bun:test";
import { fromEngineError, httpStatusFor } from "../../scripts/lib/clickhouse-dev/errors.ts";
import { planQuery } from "../../scripts/lib/clickhouse-dev/query-plan.ts";
import { parseCredentials, parseQueryParams } from "../../scripts/lib/clickhouse-dev/request-params.ts";
import { firstKeyword, hasMultipleStatements, trailingFormat } from "../../scripts/lib/clickhouse-dev/sql-text.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("sql-text", () => {
  test.each([
    ["SELECT 1", false],
    ["SELECT 1;", false],
    ["SELECT 1;  -- done\n", false],
    ["SELECT ';' AS s", false],
    ["SELECT `a;b` FROM t", false],
    ["SELECT 'it\\'s;' AS s", false],
    ["SELECT 1 /* ; */", false],
    ["SELECT 1; SELECT 2", true],
    ["CREATE TABLE t (a UInt8) ENGINE = Memory;\nDROP TABLE t", true],
  ])("hasMultipleStatements(%p) is %p", (sql, expected) => {
    expect(hasMultipleStatements(sql)).toBe(expected);
  });

  test.each([
    ["  -- note\n (SELECT 1)", "SELECT"],
    ["/* x */ insert into t values (1)", "INSERT"],
    ["WITH 1 AS x SELECT x", "WITH"],
    ["", ""],
  ])("firstKeyword(%p) is %p", (sql, expected) => {
    expect(firstKeyword(sql)).toBe(expected);
  });

  test.each([
    ["SELECT 1\nFORMAT JSONEachRow", "JSONEachRow"],
    ["SELECT 1 FORMAT TSV;", "TSV"],
    ["SELECT 'FORMAT CSV'", undefined],
    ["SELECT 1", undefined],
  ])("trailingFormat(%p) is %p", (sql, expected) => {
    expect(trailingFormat(sql)).toBe(expected);
  });
});

describe("planQuery", () => {
  test("an INSERT in the URL takes the body as data, byte for byte", () => {
    const data = new Uint8Array([0x0a, 0x05, 0x20, 0x0d]);
    const plan = planQuery("POST", "INSERT INTO t FORMAT RowBinary", data, "TabSeparated");
    expect(plan).toMatchObject({ kind: "insert", head: { sql: "INSERT INTO t FORMAT RowBinary", format: "RowBinary" } });
    expect(plan.kind === "insert" && [...plan.data]).toEqual([...data]);
  });

  test("an INSERT with inline rows in the body is split into statement and data", () => {
    const plan = planQuery("POST", undefined, bytes("INSERT INTO t FORMAT TSV\nx;y\n"), "TabSeparated");
    expect(plan).toMatchObject({ kind: "insert", head: { sql: "INSERT INTO t FORMAT TSV" } });
    expect(plan.kind === "insert" && new TextDecoder().decode(plan.data)).toBe("x;y\n");
  });

  test("an INSERT … SELECT is a query", () => {
    expect(planQuery("POST", undefined, bytes("INSERT INTO t SELECT 'FORMAT CSV'"), "TabSeparated")).toMatchObject({ kind: "query" });
  });

  test("URL query and body are joined by a newline", () => {
    expect(planQuery("POST", "SELECT 1", bytes("FORMAT JSON"), "TabSeparated")).toMatchObject({
      sql: "SELECT 1\nFORMAT JSON",
      outputFormat: "JSON",
    });
  });

  test.each([
    ["POST", "", 62],
    ["POST", "SELECT 1; SELECT 2", 62],
    ["GET", "DROP TABLE t", 164],
  ])("%s %p is refused with code %p", (method, sql, code) => {
    expect(() => planQuery(method, sql, new Uint8Array(), "TabSeparated")).toThrow(expect.objectContaining({ code }));
  });
});

describe("request-params", () => {
  test("splits HTTP parameters, query parameters and settings", () => {
    const url = new URL("http://h/?query=SELECT%201&database=d&query_id=q1&param_x=%5CN&max_threads=2&wait_end_of_query=1&default_format=JSON");
    expect(parseQueryParams(url)).toMatchObject({
      query: "SELECT 1",
      database: "d",
      queryId: "q1",
      defaultFormat: "JSON",
      params: { x: "\\N" },
      settings: { max_threads: "2" },
    });
  });

  test("native compression is refused rather than misread", () => {
    expect(() => parseQueryParams(new URL("http://h/?compress=1"))).toThrow(expect.objectContaining({ code: 48 }));
  });

  test("credentials come from Basic auth first, then headers, then the URL", () => {
    const basic = new Headers({ authorization: "Basic " + btoa("u1:p:with:colons") });
    expect(parseCredentials(basic, new URL("http://h/?user=x"))).toEqual({ user: "u1", password: "p:with:colons" });
    const headers = new Headers({ "x-clickhouse-user": "u2", "x-clickhouse-key": "k" });
    expect(parseCredentials(headers, new URL("http://h/"))).toEqual({ user: "u2", password: "k" });
    expect(parseCredentials(new Headers(), new URL("http://h/?user=u3&password=p3"))).toEqual({ user: "u3", password: "p3" });
    expect(parseCredentials(new Headers(), new URL("http://h/"))).toEqual({ user: "default", password: "" });
  });
});

describe("errors", () => {
  test("engine messages keep their code and name, with or without the sync prefix", () => {
    const a = fromEngineError(new Error("Query failed: Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR)"));
    expect([a.code, a.type, a.message]).toEqual([62, "SYNTAX_ERROR", "Syntax error: failed at position 1."]);
    const b = fromEngineError(new Error("Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)"));
    expect([b.code, b.type, httpStatusFor(b)]).toEqual([60, "UNKNOWN_TABLE", 404]);
  });

  test("an exception chDB wrapped in itself comes out once, as ClickHouse writes it", () => {
    const wrapped = "Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format X. (UNKNOWN_FORMAT) (version 26.7.2.1). (UNKNOWN_FORMAT)";
    const error = fromEngineError(new Error(wrapped));
    expect([error.code, error.type, error.message]).toEqual([73, "UNKNOWN_FORMAT", "Unknown format X."]);
    expect(error.body("24.3.1.1")).toBe("Code: 73. DB::Exception: Unknown format X. (UNKNOWN_FORMAT) (version 24.3.1.1)\n");
  });
});
