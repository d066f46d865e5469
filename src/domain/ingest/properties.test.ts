import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type PropertyValue, PropertyValueSchema } from "../../gen/common/v1/property_value_pb.ts";
import { storedProperties } from "./properties.ts";

const value = (v: PropertyValue["value"]) => create(PropertyValueSchema, { value: v });

describe("storedProperties", () => {
  const wire = {
    plan: value({ case: "stringValue", value: "pro" }),
    seats: value({ case: "intValue", value: 12n }),
    max: value({ case: "intValue", value: 9223372036854775807n }),
    min: value({ case: "intValue", value: -9223372036854775808n }),
    ratio: value({ case: "doubleValue", value: 3 }),
    half: value({ case: "doubleValue", value: 0.1 + 0.2 }),
    paid: value({ case: "boolValue", value: false }),
    since: value({ case: "timestampValue", value: timestampFromMs(Date.UTC(1969, 11, 31, 23, 59, 59, 5)) }),
  };

  test("every value as text, ints exactly, doubles as JavaScript prints them, times as ISO-8601 UTC with ms", () => {
    expect({ ...storedProperties(wire, true).texts }).toEqual({
      plan: "pro",
      seats: "12",
      max: "9223372036854775807",
      min: "-9223372036854775808",
      ratio: "3",
      half: "0.30000000000000004",
      paid: "false",
      since: "1969-12-31T23:59:59.005Z",
    });
  });

  test("the type of every value that is not a string; strings are left out", () => {
    expect({ ...storedProperties(wire, true).types }).toEqual({ seats: 2, max: 2, min: 2, ratio: 3, half: 3, paid: 4, since: 5 });
  });

  test("numbers only when asked for, ints and doubles alike", () => {
    expect({ ...storedProperties(wire, true).numbers }).toEqual({ seats: 12, max: 9223372036854775807, min: -9223372036854775808, ratio: 3, half: 0.30000000000000004 });
    expect({ ...storedProperties(wire, false).numbers }).toEqual({});
  });

  test("a property named __proto__ is data in every map", () => {
    const properties: Record<string, PropertyValue> = {};
    // How the protobuf decoder hands over a map key "__proto__": as an own property of a plain object.
    Object.defineProperty(properties, "__proto__", { value: value({ case: "boolValue", value: true }), enumerable: true });
    const stored = storedProperties(properties, true);
    expect(JSON.parse(JSON.stringify(stored))).toEqual(JSON.parse('{"texts": {"__proto__": "true"}, "types": {"__proto__": 4}, "numbers": {}}'));
  });
});
