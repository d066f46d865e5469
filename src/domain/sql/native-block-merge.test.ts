import { expect, test } from "bun:test";
import { mergeNativeBlocks } from "./native-block-merge.ts";
import { NativeBlockWriter } from "./native-block-writer.ts";

interface Row {
  id: string;
  name: string;
  at: number;
  width: number;
  tags: Record<string, string>;
  types: Record<string, number>;
}

/** `rows` as one block of every kind of column the events use. */
function block(rows: readonly Row[]): Uint8Array {
  const writer = new NativeBlockWriter(6, rows.length, 8);
  const scalar = <V>(name: string, type: string, pick: (row: Row) => V, put: (value: V) => void) => {
    writer.column(name, type);
    for (const row of rows) put(pick(row));
  };
  const out = writer.column("id", "UUID");
  for (const row of rows) out.uuid(row.id);
  scalar("name", "String", (r) => r.name, (v) => out.string(v));
  scalar("at", "DateTime64(3, 'UTC')", (r) => r.at, (v) => out.dateTime64ms(v));
  scalar("width", "UInt16", (r) => r.width, (v) => out.uint16(v));
  writer.column("tags", "Map(String, String)");
  writer.offsets(rows.map((r) => Object.keys(r.tags).length));
  for (const row of rows) for (const key of Object.keys(row.tags)) out.string(key);
  for (const row of rows) for (const value of Object.values(row.tags)) out.string(value);
  writer.column("types", "Map(String, UInt8)");
  writer.offsets(rows.map((r) => Object.keys(r.types).length));
  for (const row of rows) for (const key of Object.keys(row.types)) out.string(key);
  for (const row of rows) for (const value of Object.values(row.types)) out.uint8(value);
  return writer.finish();
}

const rows: Row[] = Array.from({ length: 300 }, (_, i): Row => ({
  id: `0192f5a4-7c1e-7b3d-9a10-${i.toString(16).padStart(12, "0")}`, name: i % 2 ? `n-${i}` : `имя-${i}-😀`.repeat(i % 50), at: -5 + i * 1_000_003,
  width: i * 200, tags: i % 4 ? Object.fromEntries(Array.from({ length: i % 4 }, (_, k) => [`k${k}`, `v${i}-${k}`])) : {}, types: i % 3 ? { k0: i % 256 } : ({} as Record<string, number>),
}));

test("blocks joined are byte for byte the block of all their rows", () => {
  const cuts = [0, 1, 2, 50, 51, 200, 300];
  const parts = cuts.slice(1).map((end, i) => block(rows.slice(cuts[i], end)));
  expect(Buffer.from(mergeNativeBlocks(parts)).equals(Buffer.from(block(rows)))).toBe(true);
  expect(Buffer.from(mergeNativeBlocks([block([]), block(rows.slice(0, 7)), block([])])).equals(Buffer.from(block(rows.slice(0, 7))))).toBe(true);
});

test("one block is sent as it is", () => {
  const one = block(rows.slice(0, 3));
  expect(mergeNativeBlocks([one])).toBe(one);
});

test("blocks of other columns, cut short, with bytes left over, or of a type it cannot walk are refused", () => {
  const other = new NativeBlockWriter(1, 1);
  other.column("id", "UUID").uuid(rows[0]!.id);
  expect(() => mergeNativeBlocks([block(rows.slice(0, 2)), other.finish()])).toThrow("Native block 1: 1 columns, not the 6 of block 0");
  const renamed = new NativeBlockWriter(1, 1);
  renamed.column("ID", "UUID").uuid(rows[0]!.id);
  expect(() => mergeNativeBlocks([other.finish(), renamed.finish()])).toThrow("Native block 1: column 0 is not id UUID as in block 0");
  const whole = block(rows.slice(0, 2));
  expect(() => mergeNativeBlocks([whole, whole.subarray(0, whole.length - 1)])).toThrow("Native block 1: cut short");
  // A lone block is walked too: one that is not what the encoder writes is refused, not sent.
  expect(() => mergeNativeBlocks([whole.subarray(0, whole.length - 1)])).toThrow("Native block 0: cut short");
  expect(() => mergeNativeBlocks([whole, new Uint8Array([...whole, 0])])).toThrow("Native block 1: 1 bytes after its columns");
  const odd = new NativeBlockWriter(1, 1);
  odd.column("x", "Int8").uint8(1);
  expect(() => mergeNativeBlocks([odd.finish(), odd.finish()])).toThrow("Native block 0: type Int8 cannot be joined");
});
