// Filter schema rows (./filter-schema-rows.ts) as `INSERT INTO <table> (<columns>) FORMAT Native` bodies, one block
// per table. Like ./event-native.ts, it leaves conversions to ClickHouse: kind goes as String (LowCardinality in
// the table), count and last_seen as their plain types (SimpleAggregateFunction(sum | max, …) in the table, stored
// alike), which the writer's block check (../sql/native-block-merge.ts) also knows.

import type { BinaryWriter } from "../sql/binary-writer.ts";
import { type EncodedTableRows, NativeBlockWriter } from "../sql/native-block-writer.ts";
import type { EventNameRow, FilterSchemaRows, PropertyKeyRow, PropertyValueRow } from "./filter-schema-rows.ts";

interface Column<Row> {
  name: keyof Row & string;
  type: string;
  put(out: BinaryWriter, row: Row): void;
}

const projectId: Column<EventNameRow> = { name: "project_id", type: "UUID", put: (out, row) => out.uuid(row.project_id) };
const kind: Column<EventNameRow> = { name: "kind", type: "String", put: (out, row) => out.string(row.kind) };
const source: Column<{ source: number }> = { name: "source", type: "UInt8", put: (out, row) => out.uint8(row.source) };
const key: Column<{ key: string }> = { name: "key", type: "String", put: (out, row) => out.string(row.key) };
const count: Column<EventNameRow> = { name: "count", type: "UInt64", put: (out, row) => out.int64(row.count) };
const lastSeen: Column<EventNameRow> = { name: "last_seen", type: "DateTime64(3, 'UTC')", put: (out, row) => out.dateTime64ms(row.last_seen) };

const EVENT_NAMES: Column<EventNameRow>[] = [projectId, kind, count, lastSeen];
const PROPERTY_KEYS = [projectId, source, key, { name: "value_type", type: "UInt8", put: (out, row) => out.uint8(row.value_type) }, kind, count, lastSeen] as Column<PropertyKeyRow>[];
const PROPERTY_VALUES = [projectId, source, key, kind, { name: "value", type: "String", put: (out, row) => out.string(row.value) }, count, lastSeen] as Column<PropertyValueRow>[];

/** The tables' rows as Native blocks, a table without rows left out. */
export function encodeFilterSchemaRows(rows: FilterSchemaRows): EncodedTableRows[] {
  return [
    encoded("event_names", EVENT_NAMES, rows.eventNames),
    encoded("property_keys", PROPERTY_KEYS, rows.propertyKeys),
    encoded("property_values", PROPERTY_VALUES, rows.propertyValues),
  ].filter((table) => table.rows > 0);
}

function encoded<Row>(table: string, columns: Column<Row>[], rows: readonly Row[]): EncodedTableRows {
  const block = new NativeBlockWriter(columns.length, rows.length, Math.max(1024, rows.length * 96));
  for (const column of columns) {
    const out = block.column(column.name, column.type);
    for (const row of rows) column.put(out, row);
  }
  return { table, format: "Native", columns: columns.map((column) => column.name), rows: rows.length, bytes: block.finish() };
}
