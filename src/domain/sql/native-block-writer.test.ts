import { expect, test } from "bun:test";
import { NativeBlockWriter } from "./native-block-writer.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const utf8 = (text: string) => hex(new TextEncoder().encode(text));
/** A String as Native writes it (texts under 128 bytes here): its length byte, then its UTF-8. */
const str = (text: string) => `${new TextEncoder().encode(text).length.toString(16).padStart(2, "0")}${utf8(text)}`;

test("a block is its column and row counts, then each column's name, type and data", () => {
  const block = new NativeBlockWriter(2, 2, 4);
  const id = block.column("id", "UInt16");
  id.uint16(1);
  id.uint16(258);
  const name = block.column("name", "String");
  name.string("é");
  name.string("");
  expect(hex(block.finish())).toBe(`0202${str("id")}${str("UInt16")}01000201${str("name")}${str("String")}${str("é")}00`);
});

test("a Map column is its rows' cumulative end offsets as UInt64, then every key, then every value", () => {
  const block = new NativeBlockWriter(1, 3, 4);
  const out = block.column("m", "Map(String, UInt8)");
  block.offsets([2, 0, 1]);
  for (const key of ["a", "b", "c"]) out.string(key);
  for (const value of [1, 2, 3]) out.uint8(value);
  const offsets = "0200000000000000" + "0200000000000000" + "0300000000000000";
  expect(hex(block.finish())).toBe(`0103${str("m")}${str("Map(String, UInt8)")}${offsets}${str("a")}${str("b")}${str("c")}010203`);
});

test("a block with columns missing, or offsets for another number of rows, is refused", () => {
  const block = new NativeBlockWriter(2, 1);
  block.column("a", "UInt8").uint8(1);
  expect(() => block.finish()).toThrow("the block has 1 of its 2 columns");
  block.column("b", "UInt8").uint8(2);
  expect(() => block.column("c", "UInt8")).toThrow("column c: the block was made for 2 columns");
  expect(() => new NativeBlockWriter(1, 2).offsets([1])).toThrow("1 offsets for a block of 2 rows");
});

test("a big block grows from a small buffer and keeps every byte (non-ASCII and long texts among them)", () => {
  const rows = 50_000;
  const texts = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? `visitor-${i}` : i % 3 === 1 ? `пользователь-${i}-😀` : "日本".repeat(i % 200)));
  const block = new NativeBlockWriter(1, rows, 16);
  const out = block.column("t", "String");
  for (const text of texts) out.string(text);
  const bytes = block.finish();
  // Read it back: the header, then every string.
  const decoder = new TextDecoder();
  let at = 0;
  const varUInt = () => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
  };
  const string = () => {
    const length = varUInt();
    at += length;
    return decoder.decode(bytes.subarray(at - length, at));
  };
  expect([varUInt(), varUInt(), string(), string()]).toEqual([1, rows, "t", "String"]);
  const back = Array.from({ length: rows }, string);
  expect(back).toEqual(texts);
  expect(at).toBe(bytes.length);
});
