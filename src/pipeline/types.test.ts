import { describe, expect, test } from "bun:test";
import { encodedConversion, heldBytes, type TableSink } from "./types.ts";

const sink = (encode: (rows: readonly number[]) => Uint8Array): TableSink<number> => ({
  table: "t", stream: "s", consumer: "c", limits: { maxRows: 10, maxBytes: 1_000, maxWaitMs: 10 },
  encoding: { format: "Native", columns: ["n"], encode },
  derived: { derive: (rows) => rows.reduce((sum, n) => sum + n, 0), bytes: () => 40, combine: () => [] },
  convert: async () => ({ rows: [] }),
});

describe("encodedConversion", () => {
  test("encodes the rows and derives their part, both counted in what the message holds", () => {
    const conversion = encodedConversion(sink((rows) => new Uint8Array(rows.length * 8)), { rows: [1, 2, 3], reject: { reason: "r", detail: "d" } });
    expect(conversion).toEqual({ rows: [], reject: { reason: "r", detail: "d" }, encoded: { rows: 3, bytes: new Uint8Array(24) }, derived: { part: 6, bytes: 40 } });
    expect(heldBytes({ seq: 1, subject: "s", data: new Uint8Array(100), conversion })).toBe(164);
  });

  test("rows that cannot be encoded make a dead letter with nothing derived", () => {
    const conversion = encodedConversion(sink(() => { throw new Error("event e: kind: too long"); }), { rows: [1] });
    expect(conversion).toEqual({ rows: [], reject: { reason: "unencodable", detail: "event e: kind: too long" } });
  });
});
