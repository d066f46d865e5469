// Property values as stored: every value as text in a Map(String, String) column, and numeric custom values
// also as Float64 so they can be summed and averaged.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { PropertyValue } from "../../gen/common/v1/property_value_pb.ts";

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
