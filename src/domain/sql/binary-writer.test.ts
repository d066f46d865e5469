import { expect, test } from "bun:test";
import { BinaryWriter } from "./binary-writer.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const written = (write: (writer: BinaryWriter) => void) => {
  const writer = new BinaryWriter(4);
  write(writer);
  return hex(writer.finish());
};

test("a UUID is its two halves, each little-endian", () => {
  expect(written((w) => w.uuid("00112233-4455-6677-8899-aabbccddeeff"))).toBe("7766554433221100ffeeddccbbaa9988");
});

test("a UUID that is not one is refused, naming the value", () => {
  expect(() => written((w) => w.uuid("not-a-uuid"))).toThrow('not a UUID: "not-a-uuid"');
});

test("strings are UTF-8 after their LEB128 byte length, however long", () => {
  expect(written((w) => w.string(""))).toBe("00");
  expect(written((w) => w.string("é😀"))).toBe(`06${hex(new TextEncoder().encode("é😀"))}`);
  for (const length of [127, 128, 16_383, 16_384, 100_000]) {
    const writer = new BinaryWriter(4);
    writer.string("a".repeat(length));
    writer.uint8(0xee);
    const bytes = writer.finish();
    const prefix = bytes.length - length - 1;
    expect(prefix).toBe(length < 128 ? 1 : length < 16_384 ? 2 : 3);
    expect(bytes.at(-1)).toBe(0xee);
    expect(bytes[prefix]).toBe(0x61);
  }
});

test("numbers are little-endian; DateTime64(3) is an Int64 of milliseconds, before 1970 too", () => {
  expect(written((w) => w.uint16(65_535))).toBe("ffff");
  expect(written((w) => w.float64(1))).toBe("000000000000f03f");
  expect(written((w) => w.dateTime64ms(1))).toBe("0100000000000000");
  expect(written((w) => w.dateTime64ms(-1))).toBe("ffffffffffffffff");
  expect(written((w) => w.varUInt(300))).toBe("ac02");
  expect(written((w) => w.bool(true))).toBe("01");
  expect(written((w) => w.int64(2 ** 40 + 1))).toBe("0100000000010000");
});

test("an integer its type cannot hold is refused, naming the value, never wrapped", () => {
  expect(() => written((w) => w.uint16(65_536))).toThrow("not a UInt16: 65536");
  expect(() => written((w) => w.uint16(-1))).toThrow("not a UInt16: -1");
  expect(() => written((w) => w.uint16(1.5))).toThrow("not a UInt16: 1.5");
  expect(() => written((w) => w.uint8(256))).toThrow("not a UInt8: 256");
  expect(() => written((w) => w.uint8(Number.NaN))).toThrow("not a UInt8: NaN");
  expect(() => written((w) => w.dateTime64ms(Number.NaN))).toThrow("not a time in milliseconds: NaN");
  expect(() => written((w) => w.int64(2 ** 53))).toThrow("not an integer: 9007199254740992");
});

test("a short non-ASCII string written near the end of the buffer keeps its bytes (the buffer grows around it)", () => {
  const expected = (pad: number, text: string) => `${"00".repeat(pad)}${hex(new Uint8Array([new TextEncoder().encode(text).length]))}${hex(new TextEncoder().encode(text))}ee`;
  for (const text of ["é", "✓", "東京", "👍"]) {
    for (let pad = 0; pad < 24; pad++) {
      const writer = new BinaryWriter(16);
      for (let i = 0; i < pad; i++) writer.uint8(0);
      writer.string(text);
      writer.uint8(0xee);
      expect(`${text}@${pad}: ${hex(writer.finish())}`).toBe(`${text}@${pad}: ${expected(pad, text)}`);
    }
  }
});

test("a range of bytes is copied as it is, short or long, growing the buffer; reset starts again from the first byte", () => {
  const source = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
  const out = new BinaryWriter(8);
  out.rawRange(source, 3, 10);
  out.rawRange(source, 100, 300);
  out.rawRange(source, 5, 5);
  expect(out.finish()).toEqual(Uint8Array.from([...source.subarray(3, 10), ...source.subarray(100, 300)]));
  out.reset().rawRange(source, 0, 2);
  expect(out.finish()).toEqual(Uint8Array.from([0, 1]));
});
