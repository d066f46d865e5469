import { describe, expect, test } from "bun:test";
import { encodedConversion, heldBytes, type TableSink } from "./types.ts";

const unexpected = (error: unknown) => {
  throw error;
};

const sink = (encode: (rows: readonly number[]) => Uint8Array, derive = (rows: readonly number[]) => rows.reduce((sum, n) => sum + n, 0)): TableSink<number> => ({
  table: "t", stream: "s", consumer: "c", limits: { maxRows: 10, maxBytes: 1_000, maxWaitMs: 10 },
  encoding: { format: "Native", columns: ["n"], encode },
  derived: { derive, bytes: () => 40, combine: () => [] },
  convert: async () => ({ rows: [] }),
});

describe("encodedConversion", () => {
  test("encodes the rows and derives their part, both counted in what the message holds", () => {
    const conversion = encodedConversion(sink((rows) => new Uint8Array(rows.length * 8)), { rows: [1, 2, 3], reject: { reason: "r", detail: "d" } }, unexpected);
    expect(conversion).toEqual({ rows: [], reject: { reason: "r", detail: "d" }, encoded: { rows: 3, bytes: new Uint8Array(24) }, derived: { part: 6, bytes: 40 } });
    expect(heldBytes({ seq: 1, subject: "s", data: new Uint8Array(100), conversion })).toBe(164);
  });

  test("rows that cannot be encoded make a dead letter with nothing derived", () => {
    const conversion = encodedConversion(sink(() => { throw new Error("event e: kind: too long"); }), { rows: [1] }, unexpected);
    expect(conversion).toEqual({ rows: [], reject: { reason: "unencodable", detail: "event e: kind: too long" } });
  });

  test("deriving that throws leaves the message its encoded rows and no part, and reports the error", () => {
    const reported: unknown[] = [];
    const failing = sink((rows) => new Uint8Array(rows.length * 8), () => { throw new Error("tally bug"); });
    const conversion = encodedConversion(failing, { rows: [1, 2] }, (error) => reported.push(error));
    expect(conversion).toEqual({ rows: [], reject: undefined, encoded: { rows: 2, bytes: new Uint8Array(16) }, derived: undefined });
    expect(reported.map((error) => (error as Error).message)).toEqual(["tally bug"]);
  });
});
