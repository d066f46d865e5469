// Property values as stored: every value as text in a Map(String, String) column, the type of every value that
// is not a string in a Map(String, UInt8) column, and numeric custom values also as Float64 so they can be summed
// and averaged.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { PropertyValue } from "../../gen/common/v1/property_value_pb.ts";
import { ValueType, wireValueType } from "../properties/value-types.ts";

/** One property map as its columns: text of every value, type of the non-string ones, numbers if asked for. */
export interface StoredProperties {
  texts: Record<string, string>;
  types: Record<string, number>;
  numbers: Record<string, number>;
}

/** `keep` leaves keys out (the promoted automatic properties, whose columns hold them). */
export function storedProperties(properties: Record<string, PropertyValue>, withNumbers: boolean, keep: (key: string) => boolean = () => true): StoredProperties {
  // Prototype-less maps: a property named "__proto__" is data like any other, not the object's prototype.
  const texts: Record<string, string> = Object.create(null);
  const types: Record<string, number> = Object.create(null);
  const numbers: Record<string, number> = Object.create(null);
  for (const key of Object.keys(properties)) {
    if (!keep(key)) continue;
    const value = properties[key]!;
    texts[key] = propertyText(value);
    const type = wireValueType(value);
    if (type === ValueType.STRING) continue;
    types[key] = type;
    if (withNumbers) {
      const number = propertyNumber(value);
      if (number !== undefined) numbers[key] = number;
    }
  }
  return { texts, types, numbers };
}

export function propertyText(property: PropertyValue): string {
  const value = property.value;
  switch (value.case) {
    case "stringValue":
      return value.value;
    case "intValue":
      return value.value.toString();
    case "doubleValue":
      return String(value.value);
    case "boolValue":
      return value.value ? "true" : "false";
    case "timestampValue":
      return new Date(timestampMs(value.value)).toISOString();
    default:
      return "";
  }
}

export function propertyNumber(property: PropertyValue): number | undefined {
  const value = property.value;
  if (value.case === "intValue") return Number(value.value);
  if (value.case === "doubleValue") return value.value;
  return undefined;
}

/** The text of a string-valued automatic property such as `$url`, or "". */
export function autoText(properties: Record<string, PropertyValue>, key: string): string {
  const property = properties[key];
  return property ? propertyText(property) : "";
}
