import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { PropertyValue } from "../../gen/common/v1/property_value_pb.ts";
import { type Event, EventSchema } from "../../gen/sdk/events/v1/events_pb.ts";
import { validateBatch } from "./validate-batch.ts";

type Init = Parameters<typeof create<typeof EventSchema>>[1];
type Value = PropertyValue["value"];

function event(overrides: Init = {}): Event {
  return create(EventSchema, {
    eventId: "0190b6f0-0000-7000-8000-000000000001",
    kind: "page_view",
    distinctId: "anon-1",
    sessionId: "0190b6f0-0000-7000-8000-000000000002",
    occurTime: timestampFromMs(Date.parse("2026-03-01T12:00:00Z")),
    autoProperties: { $url: { value: { case: "stringValue", value: "https://example.com/" } } },
    ...overrides,
  });
}
const custom = (key: string, value: Value) => event({ customProperties: { [key]: { value } } });
const at = (seconds: bigint, nanos = 0): Value => ({ case: "timestampValue", value: { $typeName: "google.protobuf.Timestamp", seconds, nanos } });
const text = (value: string): Value => ({ case: "stringValue", value });

// [what, event, the one problem expected ("" = valid)]
const cases: [string, Event, string][] = [
  ["a plain event", event(), ""],
  ["occur_time at 1900-01-01T00:00:00Z", event({ occurTime: { seconds: -2_208_988_800n, nanos: 0 } }), ""],
  ["occur_time a second before 1900", event({ occurTime: { seconds: -2_208_988_801n, nanos: 0 } }), "events[0].occur_time.seconds: -2208988801 is outside 1900-01-01T00:00:00Z to 2299-12-31T23:59:59.999Z"],
  ["occur_time at 2299-12-31T23:59:59.999999999Z", event({ occurTime: { seconds: 10_413_791_999n, nanos: 999_999_999 } }), ""],
  ["occur_time at 2300-01-01", event({ occurTime: { seconds: 10_413_792_000n, nanos: 0 } }), "events[0].occur_time.seconds: 10413792000 is outside"],
  ["occur_time in the year 318,857", event({ occurTime: { seconds: 10_000_000_000_000n, nanos: 0 } }), "events[0].occur_time.seconds: 10000000000000 is outside"],
  ["occur_time with int64-max seconds", event({ occurTime: { seconds: 9_223_372_036_854_775_807n, nanos: 0 } }), "events[0].occur_time.seconds: 9223372036854775807 is outside"],
  ["occur_time with nanos of a full second", event({ occurTime: { seconds: 1n, nanos: 1_000_000_000 } }), "events[0].occur_time.nanos: must be 0 to 999999999"],
  ["a timestamp property in the year 318,857", custom("at", at(10_000_000_000_000n)), 'events[0].custom_properties["at"]: timestamp_value.seconds: 10000000000000 is outside'],
  ["a timestamp property before 1900", custom("at", at(-9_000_000_000n)), "timestamp_value.seconds: -9000000000 is outside"],
  ["a timestamp property with negative nanos", custom("at", at(0n, -1)), "timestamp_value.nanos: must be 0 to 999999999"],
  ["an automatic timestamp property out of range", event({ autoProperties: { $firstSeen: { value: at(-1n << 62n) } } }), 'events[0].auto_properties["$firstSeen"]: timestamp_value.seconds'],
  ["timestamp properties at both ends of the range", event({ customProperties: { a: { value: at(-2_208_988_800n) }, b: { value: at(10_413_791_999n, 999_999_999) } } }), ""],
  ["int64 extremes", event({ customProperties: { min: { value: { case: "intValue", value: -(1n << 63n) } }, max: { value: { case: "intValue", value: (1n << 63n) - 1n } } } }), ""],
  ["the smallest and largest finite doubles", event({ customProperties: { tiny: { value: { case: "doubleValue", value: 5e-324 } }, huge: { value: { case: "doubleValue", value: Number.MAX_VALUE } } } }), ""],
  ["NaN", custom("x", { case: "doubleValue", value: Number.NaN }), 'events[0].custom_properties["x"]: double_value: must be finite, got NaN'],
  ["a string with NUL and control characters (stored as sent)", custom("note", text("a\u0000b\tc\nd\u007f")), ""],
  ["a string with an emoji (a surrogate pair)", custom("note", text("😀")), ""],
  ["1024 emoji", custom("note", text("😀".repeat(1024))), ""],
  ["1025 emoji", custom("note", text("😀".repeat(1025))), "string_value: at most 1024 characters, got 1025"],
  ["an empty key", custom("", text("x")), 'events[0].custom_properties[""]: names are 1 to 200 characters'],
  ["a key of 200 characters", custom("k".repeat(200), text("x")), ""],
  ["a key of 201 characters", custom("k".repeat(201), text("x")), "names are 1 to 200 characters"],
  ["an enormous key", custom("k".repeat(100_000), text("x")), "names are 1 to 200 characters"],
  ["a key with NUL", custom("a\u0000b", text("x")), 'events[0].custom_properties["a\\u0000b"]: names must not contain control characters'],
  ["a key with a newline", custom("a\nb", text("x")), "names must not contain control characters"],
  ["a key with a C1 control", custom("a\u0085", text("x")), "names must not contain control characters"],
  ["a key with non-ASCII letters", custom("größe_😀", text("x")), ""],
  ["a key __proto__", custom("__proto__", text("x")), ""],
  ["an upper-case event_id", event({ eventId: "0190B6F0-0000-7000-8000-00000000000A" }), ""],
];

describe("validateBatch", () => {
  test.each(cases)("%s", (_what, input, expected) => {
    const problems = validateBatch([input]);
    if (expected === "") expect(problems).toEqual([]);
    else {
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(expected);
    }
  });

  test("a key __proto__ decoded from the wire is seen and checked like any other", () => {
    const input = event();
    Object.defineProperty(input.customProperties, "__proto__", { value: { value: { case: "doubleValue", value: Number.NaN } }, enumerable: true });
    expect(validateBatch([input])).toEqual(['events[0].custom_properties["__proto__"]: double_value: must be finite, got NaN']);
  });

  test("more than ten problems are summarised", () => {
    const problems = validateBatch(Array.from({ length: 12 }, (_, i) => event({ kind: "", eventId: `0190b6f0-0000-7000-8000-${String(i).padStart(12, "0")}` })));
    expect(problems).toHaveLength(11);
    expect(problems.at(-1)).toBe("… and 2 more problems");
  });
});
