import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PropertyValueSchema } from "../../gen/common/v1/property_value_pb.ts";
import { storedValueType, ValueType, wireValueType } from "./value-types.ts";

describe("value types", () => {
  test("the numbers are the contract's ValueType enum", () => {
    expect(ValueType).toEqual({ STRING: 1, INTEGER: 2, FLOAT: 3, BOOLEAN: 4, DATETIME: 5, OTHER: 6 });
  });

  test.each([
    ["string", ValueType.STRING, { case: "stringValue", value: "3" }],
    ["int", ValueType.INTEGER, { case: "intValue", value: 3n }],
    ["double", ValueType.FLOAT, { case: "doubleValue", value: 3 }],
    ["bool", ValueType.BOOLEAN, { case: "boolValue", value: false }],
    ["timestamp", ValueType.DATETIME, { case: "timestampValue", value: timestampFromMs(0) }],
    ["nothing set", ValueType.STRING, { case: undefined }],
  ] as const)("a wire %s value has type %d", (_label, type, value) => {
    expect(wireValueType(create(PropertyValueSchema, { value } as never))).toBe(type);
  });

  test("a key absent from a types map (undefined, or ClickHouse's default 0) is a string", () => {
    expect([storedValueType(undefined), storedValueType(0), storedValueType(2), storedValueType(6)]).toEqual([1, 1, 2, 6]);
  });
});
