import { describe, expect, test } from "bun:test";
import { findInsertHead, insertFromSpool } from "../../scripts/lib/clickhouse-dev/insert-head.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("findInsertHead", () => {
  test.each([
    ["INSERT INTO t FORMAT RowBinary\n\u0005", "INSERT INTO t FORMAT RowBinary", "RowBinary", "\u0005"],
    ["INSERT INTO t FORMAT TSV \r\n\n1\n", "INSERT INTO t FORMAT TSV", "TSV", "\n1\n"],
    ["insert into t (a, `FORMAT`) settings x = 'FORMAT CSV' format CSV\n1,2", "insert into t (a, `FORMAT`) settings x = 'FORMAT CSV' format CSV", "CSV", "1,2"],
    ["/* FORMAT X */ INSERT INTO t -- FORMAT Y\n VALUES (1), (2)", "/* FORMAT X */ INSERT INTO t -- FORMAT Y\n VALUES", "Values", "(1), (2)"],
    ["INSERT INTO FUNCTION file('x', 'CSV', 'a UInt8') FORMAT JSONEachRow {\"a\":1}", "INSERT INTO FUNCTION file('x', 'CSV', 'a UInt8') FORMAT JSONEachRow", "JSONEachRow", "{\"a\":1}"],
  ])("%p", (text, sql, format, data) => {
    const input = bytes(text);
    const head = findInsertHead(input)!;
    expect({ sql: head.sql, format: head.format }).toEqual({ sql, format });
    expect(new TextDecoder().decode(input.subarray(head.dataStart))).toBe(data);
  });

  test.each(["SELECT 1 FORMAT JSON", "INSERT INTO t SELECT * FROM s", "INSERT INTO t WITH 1 AS x SELECT x", "INSERT INTO t", "INSERT INTO t FORMAT"])(
    "%p has no data to split off",
    (text) => {
      expect(findInsertHead(bytes(text))).toBeUndefined();
    },
  );

  test("the file form puts INFILE before SETTINGS and names the format and the compression", () => {
    const head = findInsertHead(bytes("INSERT INTO t (a) SETTINGS max_threads = 1 VALUES (1)"))!;
    expect(insertFromSpool(head, { path: "/tmp/x", compression: "none" }, false).sql).toBe(
      "INSERT INTO t (a) FROM INFILE '/tmp/x' COMPRESSION 'none' SETTINGS max_threads = 1 FORMAT Values",
    );
    const plain = findInsertHead(bytes("INSERT INTO t FORMAT Parquet\n"))!;
    expect(insertFromSpool(plain, { path: "/tmp/y", compression: "gzip" }, false).sql).toBe("INSERT INTO t FROM INFILE '/tmp/y' COMPRESSION 'gzip' FORMAT Parquet");
  });

  test("Native, RowBinary and JSONEachRow read the file with file(), the statement's SETTINGS last", () => {
    const head = findInsertHead(bytes("INSERT INTO db.t (a, b) SETTINGS insert_deduplication_token = 'x' FORMAT RowBinary"))!;
    expect(insertFromSpool(head, { path: "/data/http-spool/body-1-0", compression: "gzip" }, false)).toEqual({
      sql: "INSERT INTO db.t (a, b) SELECT * FROM file('/data/http-spool/body-1-0', 'RowBinary', 'auto', 'gzip') SETTINGS insert_deduplication_token = 'x'",
      select: true,
    });
    expect(insertFromSpool(head, { path: "/f", compression: "none" }, true).select).toBe(false);
  });
});
