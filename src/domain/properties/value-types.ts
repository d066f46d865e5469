// The contract's ValueType (common.v1): what kind of value a property or trait holds. Stored in ClickHouse as
// these numbers, in the `*_types` maps, only for keys whose value is not a string: a key absent from a map is a
// STRING, which keeps rows written before types were kept readable as they always were.

import type { PropertyValue } from "../../gen/common/v1/property_value_pb.ts";

export const ValueType = {
  STRING: 1,
  INTEGER: 2,
  FLOAT: 3,
  BOOLEAN: 4,
  DATETIME: 5,
  /** Profile traits only: lists, objects and null. */
  OTHER: 6,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** The type of one wire value. A value with no case set (intake refuses those) counts as a string, like "". */
export function wireValueType(property: PropertyValue): ValueType {
  switch (property.value.case) {
    case "intValue":
      return ValueType.INTEGER;
    case "doubleValue":
      return ValueType.FLOAT;
    case "boolValue":
      return ValueType.BOOLEAN;
    case "timestampValue":
      return ValueType.DATETIME;
    default:
      return ValueType.STRING;
  }
}

/** The type a `*_types` map cell names: an absent key (undefined or 0, ClickHouse's default) is a string. */
export function storedValueType(cell: number | undefined): ValueType {
  return cell === undefined || cell === 0 ? ValueType.STRING : (cell as ValueType);
}
