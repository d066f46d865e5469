// The decoders must be indistinguishable from fromBinary: same objects for every valid message (random ones, and
// hand-built ones for what toBinary never writes), and the same error for every malformed one.

import { describe, expect, test } from "bun:test";
import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary, type UnknownField } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { type PropertyValue, PropertyValueSchema } from "../../gen/common/v1/property_value_pb.ts";
import { ClientFactsSchema, type IngestBatch, IngestBatchSchema, IngestGroupSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import { BatchCreateRequestSchema, type Event, EventSchema } from "../../gen/sdk/events/v1/events_pb.ts";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { decodeBatchCreateRequest, decodeEvent, decodeIngestBatch, decodeIngestGroup } from "./event-decoder.ts";

const decoders: [name: string, schema: DescMessage, decode: (bytes: Uint8Array) => unknown][] = [
  ["Event", EventSchema, decodeEvent],
  ["BatchCreateRequest", BatchCreateRequestSchema, decodeBatchCreateRequest],
  ["IngestBatch", IngestBatchSchema, decodeIngestBatch],
  ["IngestGroup", IngestGroupSchema, decodeIngestGroup],
];

/** What decoding gives: the message, or the error's class and message. */
function outcome(decode: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: decode() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Asserts that `decode` and fromBinary agree on `bytes`; returns whether they threw. */
function agree(schema: DescMessage, decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array, seed?: number): boolean {
  const expected = outcome(() => fromBinary(schema, bytes));
  const actual = outcome(() => decode(bytes));
  if (seed !== undefined && !Bun.deepEquals(actual, expected, true)) console.error(`seed ${seed}: ${Buffer.from(bytes).toString("hex")}`);
  expect(actual).toStrictEqual(expected);
  return "error" in expected;
}

// A small seeded generator, so that a failure can be replayed from the seed it prints.
function rng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const pieces = ["a", "Z", "0", "$", "_", "-", " ", "/", "?", "=", "\u0000", "\u007f", "é", "ß", "€", "中", "😀", "👍🏽", "\uFEFF", "\uFFFD", "\u2028"];
function randomString(r: Rng): string {
  if (r.chance(0.05)) return r.pick(pieces).repeat(1000 + r.int(2000));
  const words = ["", "page_view", "https://shop.example.com/pricing?utm_source=newsletter", "0190b6f0-0000-7000-8000-000000000001", "__proto__", "constructor", "$url", "en-GB"];
  if (r.chance(0.4)) return r.pick(words);
  let text = "";
  for (let i = r.int(24); i > 0; i--) text += r.pick(pieces);
  return text;
}
const int64s = [0n, 1n, -1n, 127n, 128n, 2n ** 31n, -(2n ** 31n), 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const doubles = [0, -0, 1.5, -1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, Infinity, -Infinity, Number.NaN];

function randomTimestamp(r: Rng) {
  // toBinary leaves zero fields out, so either field (or both) is often absent.
  return create(TimestampSchema, { seconds: r.chance(0.3) ? 0n : r.pick(int64s), nanos: r.chance(0.3) ? 0 : r.int(1_000_000_000) - (r.chance(0.1) ? 2_000_000_000 : 0), $unknown: randomUnknown(r) });
}

function randomValue(r: Rng): PropertyValue {
  const value = ((): PropertyValue["value"] => {
    switch (r.int(6)) {
      case 0: return { case: "stringValue", value: randomString(r) };
      case 1: return { case: "intValue", value: r.chance(0.5) ? r.pick(int64s) : BigInt(r.int(2 ** 31)) - 2n ** 30n };
      case 2: return { case: "doubleValue", value: r.chance(0.5) ? r.pick(doubles) : (r.next() - 0.5) * 1e6 };
      case 3: return { case: "boolValue", value: r.chance(0.5) };
      case 4: return { case: "timestampValue", value: randomTimestamp(r) };
      default: return { case: undefined };
    }
  })();
  return create(PropertyValueSchema, { value, $unknown: randomUnknown(r) });
}

function randomProperties(r: Rng): Record<string, PropertyValue> {
  const properties: Record<string, PropertyValue> = {};
  for (let i = r.chance(0.2) ? 0 : r.int(r.chance(0.1) ? 300 : 12); i > 0; i--) {
    const key = randomString(r);
    if (key === "__proto__") Object.defineProperty(properties, key, { value: randomValue(r), enumerable: true, writable: true, configurable: true });
    else properties[key] = randomValue(r);
  }
  return properties;
}

function randomEvent(r: Rng): Event {
  const init: Omit<MessageInitShape<typeof EventSchema>, "$typeName"> = {};
  if (r.chance(0.8)) init.eventId = randomString(r);
  if (r.chance(0.8)) init.autoProperties = randomProperties(r);
  if (r.chance(0.5)) init.customProperties = randomProperties(r);
  if (r.chance(0.8)) init.distinctId = randomString(r);
  if (r.chance(0.8)) init.kind = randomString(r);
  if (r.chance(0.8)) init.occurTime = randomTimestamp(r);
  if (r.chance(0.8)) init.sessionId = randomString(r);
  if (r.chance(0.3)) init.cookieless = true;
  return create(EventSchema, { ...init, $unknown: randomUnknown(r) });
}

function randomBatch(r: Rng): IngestBatch {
  return create(IngestBatchSchema, {
    projectId: r.chance(0.9) ? randomString(r) : "",
    receivedAt: r.chance(0.9) ? randomTimestamp(r) : undefined,
    clientIp: r.chance(0.2) ? "203.0.113.7" : "",
    userAgent: r.chance(0.9) ? randomString(r) : "",
    events: Array.from({ length: r.int(4) }, () => randomEvent(r)),
    client: r.chance(0.8) ? create(ClientFactsSchema, { country: randomString(r), region: randomString(r), city: randomString(r), visitorHash: randomString(r), $unknown: randomUnknown(r) }) : undefined,
    $unknown: randomUnknown(r),
  });
}

/** Fields no schema here has, of every wire type, as toBinary writes them from `$unknown`. */
function randomUnknown(r: Rng): UnknownField[] | undefined {
  if (!r.chance(0.15)) return undefined;
  return Array.from({ length: 1 + r.int(3) }, () => {
    const no = r.pick([9, 10, 15, 99, 2047, 536_870_911]);
    switch (r.int(5)) {
      case 0: return { no, wireType: WireType.Varint, data: new BinaryWriter().uint64(r.pick(int64s) & 0xffff_ffff_ffff_ffffn).finish() };
      case 1: return { no, wireType: WireType.Bit64, data: new BinaryWriter().double(r.next()).finish() };
      case 2: return { no, wireType: WireType.Bit32, data: new BinaryWriter().fixed32(r.int(2 ** 32)).finish() };
      case 3: return { no, wireType: WireType.LengthDelimited, data: new BinaryWriter().string(randomString(r)).finish() };
      default: return { no, wireType: WireType.StartGroup, data: new BinaryWriter().tag(1, WireType.Varint).int32(r.int(1000)).tag(no, WireType.EndGroup).finish() };
    }
  });
}

/** A random encoding of each decoder's message. */
function randomBytes(r: Rng, schema: DescMessage): Uint8Array {
  switch (schema) {
    case EventSchema: return toBinary(EventSchema, randomEvent(r));
    case BatchCreateRequestSchema: return toBinary(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events: Array.from({ length: r.int(5) }, () => randomEvent(r)), $unknown: randomUnknown(r) }));
    case IngestBatchSchema: return toBinary(IngestBatchSchema, randomBatch(r));
    default: return toBinary(IngestGroupSchema, create(IngestGroupSchema, { batches: Array.from({ length: r.int(4) }, () => randomBatch(r)), $unknown: randomUnknown(r) }));
  }
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
/** One field `no` holding `bytes` (a message or a string). */
const field = (no: number, bytes: Uint8Array) => new BinaryWriter().tag(no, WireType.LengthDelimited).bytes(bytes).finish();
const utf8 = (text: string) => new TextEncoder().encode(text);
const pv = (init: PropertyValue["value"]) => toBinary(PropertyValueSchema, create(PropertyValueSchema, { value: init }));

describe("event decoder: same result as fromBinary", () => {
  for (const [name, schema, decode] of decoders) {
    test(`${name}: random messages, and two of them concatenated (which merges them)`, () => {
      for (let seed = 1; seed <= 300; seed++) {
        const r = rng(seed);
        const bytes = randomBytes(r, schema);
        expect(agree(schema, decode, bytes, seed)).toBe(false);
        expect(agree(schema, decode, concat(bytes, randomBytes(r, schema)), seed)).toBe(false);
      }
    });

    test(`${name}: the empty message`, () => {
      expect(agree(schema, decode, new Uint8Array(0))).toBe(false);
      expect(decode(new Uint8Array(0))).toStrictEqual(create(schema));
    });
  }

  test("a realistic event decodes to exactly the generated type, with defaults for absent fields", () => {
    const event = create(EventSchema, {
      eventId: "0190b6f0-0000-7000-8000-000000000001",
      kind: "page_view",
      autoProperties: { $url: { value: { case: "stringValue", value: "https://a.example/é?q=😀" } }, $n: { value: { case: "intValue", value: -5n } } },
      customProperties: { at: { value: { case: "timestampValue", value: { seconds: 0n, nanos: 5 } } }, unset: {} },
      occurTime: { seconds: 1_700_000_000n },
    });
    const decoded = decodeEvent(toBinary(EventSchema, event));
    expect(decoded).toStrictEqual(event);
    expect(decoded.$typeName).toBe("sdk.events.v1.Event");
    expect(decoded.distinctId).toBe("");
    expect(decoded.cookieless).toBe(false);
    expect(decoded.occurTime).toStrictEqual(create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 0 }));
    expect(decoded.customProperties.unset!.value).toStrictEqual({ case: undefined });
  });

  test("map entries: a repeated key keeps the last value, an entry may lack its key or value, repeat its value or hold unknown fields", () => {
    const entry = (...parts: Uint8Array[]) => field(3, concat(...parts));
    const bytes = concat(
      entry(field(1, utf8("k")), field(2, pv({ case: "stringValue", value: "first" }))),
      entry(field(1, utf8("k")), field(2, pv({ case: "intValue", value: 2n }))),
      entry(field(2, pv({ case: "boolValue", value: true }))),
      entry(field(1, utf8("no value"))),
      entry(field(1, utf8("__proto__")), field(2, pv({ case: "doubleValue", value: 1 }))),
      // Within one entry a second value merges into the first: the oneof takes the later case, and a timestamp
      // given twice keeps the fields the second one leaves out.
      entry(field(1, utf8("twice")), field(2, pv({ case: "timestampValue", value: create(TimestampSchema, { seconds: 7n }) })), field(2, pv({ case: "timestampValue", value: create(TimestampSchema, { nanos: 9 }) }))),
      entry(field(1, utf8("then")), field(2, pv({ case: "timestampValue", value: create(TimestampSchema, { seconds: 7n }) })), field(2, pv({ case: "stringValue", value: "s" }))),
      entry(new BinaryWriter().tag(7, WireType.Varint).int32(1).tag(8, WireType.StartGroup).tag(8, WireType.EndGroup).finish(), field(1, utf8("unknown inside"))),
    );
    expect(agree(EventSchema, decodeEvent, bytes)).toBe(false);
    const custom = decodeEvent(bytes).customProperties;
    expect(custom.k!.value).toStrictEqual({ case: "intValue", value: 2n });
    expect(custom[""]!.value).toStrictEqual({ case: "boolValue", value: true });
    expect(custom["no value"]!.value).toStrictEqual({ case: undefined });
    expect(Object.getOwnPropertyDescriptor(custom, "__proto__")?.value.value).toStrictEqual({ case: "doubleValue", value: 1 });
    expect(Object.getPrototypeOf(custom)).toBe(Object.prototype);
    expect(custom.twice!.value).toStrictEqual({ case: "timestampValue", value: create(TimestampSchema, { seconds: 7n, nanos: 9 }) });
    expect(custom.then!.value).toStrictEqual({ case: "stringValue", value: "s" });
    expect(Object.keys(custom)).toEqual(["k", "", "no value", "__proto__", "twice", "then", "unknown inside"]);
  });

  test("unknown fields are kept in $unknown, so that encoding again keeps them", () => {
    const r = rng(7);
    for (let i = 0; i < 50; i++) {
      const event = randomEvent(r);
      event.$unknown = [{ no: 99, wireType: WireType.LengthDelimited, data: new BinaryWriter().string("x").finish() }];
      const bytes = toBinary(EventSchema, event);
      const decoded = decodeEvent(bytes);
      expect(decoded.$unknown?.map((u) => u.no)).toEqual([99]);
      expect(toBinary(EventSchema, decoded)).toEqual(bytes);
    }
  });

  test("strings whose bytes hash alike are told apart: a remembered string is handed back only for its own bytes", () => {
    // "Aa" and "BB" have the same hash (31·65 + 97 = 31·66 + 66), as do "AaAa", "AaBB", "BBAa" and "BBBB".
    const keys = ["Aa", "BB", "AaAa", "BBBB", "AaBB", "BBAa", "Aa", "AaBB"];
    for (const key of [...keys, ...keys.reverse()]) {
      const event = create(EventSchema, { kind: key, distinctId: key, customProperties: { [key]: { value: { case: "stringValue", value: key } } } });
      const decoded = decodeEvent(toBinary(EventSchema, event));
      expect(decoded).toStrictEqual(event);
      expect(Object.keys(decoded.customProperties)).toEqual([key]);
    }
  });

  test("a field of a known number but another wire type is read as its own type, as fromBinary does", () => {
    const cases = [
      new BinaryWriter().tag(8, WireType.LengthDelimited).int32(1).finish(), // cookieless as length-delimited
      new BinaryWriter().tag(1, WireType.Varint).int32(3).raw(utf8("abc")).finish(), // event_id as a varint
      new BinaryWriter().tag(6, WireType.Bit32).int32(0).finish(), // occur_time as fixed32
    ];
    for (const bytes of cases) agree(EventSchema, decodeEvent, bytes);
  });
});

describe("event decoder: throws where fromBinary throws", () => {
  const valid = toBinary(IngestGroupSchema, create(IngestGroupSchema, { batches: [randomBatch(rng(1)), randomBatch(rng(2))] }));

  test("every truncation of a group", () => {
    let thrown = 0;
    for (let end = 0; end < valid.length; end++) {
      for (const [, schema, decode] of decoders) if (agree(schema, decode, valid.subarray(0, end))) thrown++;
    }
    expect(thrown).toBeGreaterThan(valid.length);
  });

  test("random corruptions: a byte changed, removed or inserted", () => {
    let thrown = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      for (const [, schema, decode] of decoders) {
        const bytes = [...randomBytes(r, schema)];
        if (bytes.length === 0) continue;
        for (let edits = 1 + r.int(3); edits > 0; edits--) {
          const at = r.int(bytes.length);
          const kind = r.int(3);
          if (kind === 0) bytes[at] = r.int(256);
          else if (kind === 1) bytes.splice(at, 1);
          else bytes.splice(at, 0, r.pick([0x00, 0x07, 0x0f, 0x80, 0xff, r.int(256)]));
        }
        if (agree(schema, decode, new Uint8Array(bytes), seed)) thrown++;
      }
    }
    expect(thrown).toBeGreaterThan(100);
  });

  test("invalid UTF-8 in any string: ids, map keys, values, the batch envelope", () => {
    const invalid = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]];
    const marker = "MARKER";
    const event = (overrides: MessageInitShape<typeof EventSchema>) => create(EventSchema, { eventId: "id", kind: "k", ...overrides });
    const messages: [DescMessage, (bytes: Uint8Array) => unknown, Uint8Array][] = [
      [EventSchema, decodeEvent, toBinary(EventSchema, event({ eventId: marker }))],
      [EventSchema, decodeEvent, toBinary(EventSchema, event({ customProperties: { [marker]: {} } }))],
      [EventSchema, decodeEvent, toBinary(EventSchema, event({ autoProperties: { $a: { value: { case: "stringValue", value: `é${marker}` } } } }))],
      [BatchCreateRequestSchema, decodeBatchCreateRequest, toBinary(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events: [event({}), event({ sessionId: marker })] }))],
      [IngestBatchSchema, decodeIngestBatch, toBinary(IngestBatchSchema, create(IngestBatchSchema, { userAgent: marker }))],
      [IngestGroupSchema, decodeIngestGroup, toBinary(IngestGroupSchema, create(IngestGroupSchema, { batches: [create(IngestBatchSchema, { client: { city: marker } })] }))],
    ];
    for (const [schema, decode, bytes] of messages) {
      const at = Buffer.from(bytes).indexOf(marker);
      for (const bad of invalid) {
        const broken = new Uint8Array(bytes);
        broken.set(bad, at);
        expect(agree(schema, decode, broken)).toBe(true);
        expect(() => decode(broken)).toThrow("The encoded data was not valid for encoding utf-8");
      }
    }
  });

  test("illegal tags and wire types", () => {
    const cases = [
      [0x00], // field 0
      [0x0e], // wire type 6
      [0x0f], // wire type 7
      [0x4c], // an end-group with no start (unknown field 9)
      [0x4b], // a start-group never ended
      [0x4b, 0x54], // a start-group ended by another field's end-group
      [0xff, 0xff, 0xff, 0xff, 0x7f], // a tag past uint32
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // a length of 11 bytes
      [0x0a, 0x05, 0x61], // a length past the end
    ];
    for (const bytes of cases) {
      for (const [, schema, decode] of decoders) expect(agree(schema, decode, new Uint8Array(bytes))).toBe(true);
    }
    // fromBinary skips an unknown varint of any length, and reads an over-long varint of a known field.
    const long = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    for (const [, schema, decode] of decoders) agree(schema, decode, new Uint8Array([0x48, ...long]));
    agree(EventSchema, decodeEvent, new Uint8Array([0x40, ...long]));
    agree(EventSchema, decodeEvent, concat(field(2, concat(field(1, utf8("k")), field(2, new Uint8Array([0x10, ...long]))))));
  });

  test("unknown groups nested near the recursion limit, at every depth of message", () => {
    const nested = (depth: number) => concat(new Uint8Array(depth).fill(0x4b), new Uint8Array(depth).fill(0x4c));
    const asEvent = (bytes: Uint8Array) => concat(field(1, utf8("id")), bytes);
    const inRequest = (bytes: Uint8Array) => field(1, asEvent(bytes));
    const inGroup = (bytes: Uint8Array) => field(16, field(5, asEvent(bytes)));
    let thrown = 0;
    for (let depth = 94; depth <= 101; depth++) {
      const groups = nested(depth);
      if (agree(EventSchema, decodeEvent, asEvent(groups))) thrown++;
      if (agree(BatchCreateRequestSchema, decodeBatchCreateRequest, inRequest(groups))) thrown++;
      if (agree(IngestGroupSchema, decodeIngestGroup, inGroup(groups))) thrown++;
      agree(EventSchema, decodeEvent, field(2, concat(field(1, utf8("k")), groups)));
    }
    expect(thrown).toBeGreaterThan(0);
    expect(thrown).toBeLessThan(24);
  });
});
