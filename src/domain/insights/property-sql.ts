// Where a property of an event lives, as ClickHouse expressions. A `$name` is automatic: its promoted column if
// it has one (../properties/promoted-columns.ts), else a key of auto_properties; any other name is a custom
// property. A property keeps its wire type: every value is in the text map, numbers also in a numbers map (custom)
// or typed by the types map (auto), so `3` compares as a number and `true` as a boolean. Profile traits (source
// PROFILE) live on the person, in the profiles mirror: see profileTraitTerm.

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FieldError } from "../field-error.ts";
import { promotedColumnNamed } from "../properties/promoted-columns.ts";
import { ValueType } from "../properties/value-types.ts";
import type { QueryParams } from "./query-params.ts";

export const MAX_PROPERTY_LENGTH = 200;

export interface PropertyTerm {
  /** The value as text (String; '' where absent). */
  text: string;
  /** The value as a number, NULL where it is not one (Nullable(Float64)). */
  number: string;
  /** True where the event has the property (for IS_SET). */
  isSet: string;
  /** True where equality may hold at all: a promoted column always has a value ('' is one). */
  present: string;
}

export type ResolvedSource = PropertySource.AUTO | PropertySource.CUSTOM | PropertySource.PROFILE;

/** A filter's or breakdown's source: unspecified means AUTO for `$names` and CUSTOM for the rest. */
export function resolvedSource(property: string, source: PropertySource, field: string): ResolvedSource {
  switch (source) {
    case PropertySource.UNSPECIFIED:
      return property.startsWith("$") ? PropertySource.AUTO : PropertySource.CUSTOM;
    case PropertySource.AUTO:
    case PropertySource.CUSTOM:
    case PropertySource.PROFILE:
      return source;
    default:
      throw new FieldError(field, `unknown property source ${source}`);
  }
}

/** A property name the caller gave: required, bounded. `field` names it in errors. */
export function checkPropertyName(property: string, field: string): void {
  if (property === "") throw new FieldError(field, "required");
  if (property.length > MAX_PROPERTY_LENGTH) throw new FieldError(field, `longer than ${MAX_PROPERTY_LENGTH} characters`);
}

/**
 * An event property read from the events table (alias `events` unless given). `source` must be AUTO or CUSTOM;
 * profile traits go through profileTraitTerm.
 */
export function eventPropertyTerm(property: string, source: PropertySource.AUTO | PropertySource.CUSTOM, params: QueryParams, table = "events"): PropertyTerm {
  if (source === PropertySource.AUTO) {
    const promoted = promotedColumnNamed(property);
    if (promoted) {
      const column = `${table}.${promoted.column}`;
      if (promoted.type === ValueType.INTEGER) {
        return { text: `toString(${column})`, number: `toNullable(toFloat64(${column}))`, isSet: `${column} != 0`, present: "1" };
      }
      return { text: column, number: `toFloat64OrNull(${column})`, isSet: `${column} != ''`, present: "1" };
    }
    const key = params.add(property, "String");
    const text = `${table}.auto_properties[${key}]`;
    return {
      text,
      number: `if(${table}.auto_types[${key}] IN (${ValueType.INTEGER}, ${ValueType.FLOAT}), toFloat64OrNull(${text}), NULL)`,
      isSet: `mapContains(${table}.auto_properties, ${key})`,
      present: `mapContains(${table}.auto_properties, ${key})`,
    };
  }
  const key = params.add(property, "String");
  return {
    text: `${table}.custom_properties[${key}]`,
    number: `if(mapContains(${table}.custom_numbers, ${key}), ${table}.custom_numbers[${key}], NULL)`,
    isSet: `mapContains(${table}.custom_properties, ${key})`,
    present: `mapContains(${table}.custom_properties, ${key})`,
  };
}

/** An event property by name alone (breakdowns, metrics, dimensions): `$names` automatic, other names custom. */
export function namedEventProperty(property: string, params: QueryParams, table = "events"): PropertyTerm {
  return eventPropertyTerm(property, property.startsWith("$") ? PropertySource.AUTO : PropertySource.CUSTOM, params, table);
}

/** A trait of a profile in the latest-profiles subquery (see LATEST_PROFILES_SQL in event-filter-sql.ts). */
export function profileTraitTerm(property: string, params: QueryParams): PropertyTerm {
  const key = params.add(property, "String");
  return {
    text: `property_texts[${key}]`,
    number: `if(mapContains(property_numbers, ${key}), property_numbers[${key}], NULL)`,
    isSet: `mapContains(property_texts, ${key})`,
    present: `mapContains(property_texts, ${key})`,
  };
}
