// An event row as the activity feeds return it: its properties as Structs with the types they were sent with.
// auto_properties holds the automatic map plus every promoted column under its `$name` (the dashboard reads
// `$browser`, `$country`, `$latitude`, … there); a promoted name always comes from its column, never from the
// map, as every other read does (../properties/promoted-columns.ts), and only when set (non-empty, non-zero).
// Numbers become JSON numbers (a Struct holds doubles, so integers beyond 2^53 round), booleans booleans;
// strings and datetimes (ISO 8601 text) stay strings.

import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { PROMOTED_COLUMNS, promotedColumnNamed } from "../properties/promoted-columns.ts";
import { storedValueType, ValueType } from "../properties/value-types.ts";

/** What the page query selects per event (see event-page.ts); promoted columns come under their column names. */
export interface EventPageRow {
  event_id: string;
  kind: string;
  distinct_id: string;
  occurred_ms: number | string;
  session_id: string;
  auto_properties: Record<string, string>;
  auto_types: Record<string, number>;
  custom_properties: Record<string, string>;
  custom_types: Record<string, number>;
  [column: string]: unknown;
}

export interface ShapedEvent {
  eventId: string;
  kind: string;
  distinctId: string;
  occurredMs: number;
  sessionId: string;
  autoProperties: JsonObject;
  customProperties: JsonObject;
}

/** The events columns the page query must select for the promoted properties. */
export const PROMOTED_COLUMN_NAMES: readonly string[] = PROMOTED_COLUMNS.map((promoted) => promoted.column);

export function shapeEvent(row: EventPageRow): ShapedEvent {
  const auto = typedProperties(row.auto_properties, row.auto_types, (key) => promotedColumnNamed(key) === undefined);
  for (const promoted of PROMOTED_COLUMNS) {
    const value = row[promoted.column];
    if (promoted.type === ValueType.INTEGER) {
      if (typeof value === "number" && value !== 0) auto[promoted.name] = value;
    } else if (typeof value === "string" && value !== "") {
      auto[promoted.name] = value;
    }
  }
  return {
    eventId: row.event_id,
    kind: row.kind,
    distinctId: row.distinct_id,
    occurredMs: Number(row.occurred_ms),
    sessionId: row.session_id,
    autoProperties: auto,
    customProperties: typedProperties(row.custom_properties, row.custom_types, () => true),
  };
}

function typedProperties(texts: Record<string, string>, types: Record<string, number>, keep: (key: string) => boolean): JsonObject {
  // Prototype-less: a property named "__proto__" is data like any other.
  const result: JsonObject = Object.create(null);
  for (const [key, text] of Object.entries(texts)) {
    if (keep(key)) result[key] = typedValue(text, storedValueType(types[key]));
  }
  return result;
}

/** A stored text back as its wire type; a text that does not read as its type stays text. */
export function typedValue(text: string, type: ValueType): JsonValue {
  switch (type) {
    case ValueType.INTEGER:
    case ValueType.FLOAT: {
      const number = Number(text);
      return text.trim() !== "" && Number.isFinite(number) ? number : text;
    }
    case ValueType.BOOLEAN:
      return text === "true" ? true : text === "false" ? false : text;
    default:
      return text;
  }
}
