// Event rows as the body of `INSERT INTO events (<EVENT_COLUMNS>) FORMAT Native`: one Native block holding every
// column the worker writes (migrations/clickhouse/0001_events.sql and 0002_typed_properties.sql). A column added
// to EventRow must be added here too, or it is not written (the table's default fills it). Native is columnar, as
// the table is: ClickHouse turns no rows into columns, which makes it the cheapest format for the server.
//
// The LowCardinality(String) columns (and the maps' LowCardinality keys) are sent as plain String: ClickHouse
// converts a Native column to the table's type (input_format_native_allow_types_conversion, on by default since
// 23.3). On the dev server, 100k rows so sent cost the same CPU as the engine's own Native with LowCardinality
// dictionaries (0.66-0.72 vs 0.60-0.79 s), so building the dictionaries here would only cost the worker.

import { BinaryWriter } from "../sql/binary-writer.ts";
import { NativeBlockWriter } from "../sql/native-block-writer.ts";
import type { EventRow } from "./event-row.ts";

type Put<V> = (out: BinaryWriter, value: V) => void;
type ValuesOf<T> = { [K in keyof EventRow]: EventRow[K] extends T ? K : never }[keyof EventRow];

interface Column {
  name: keyof EventRow;
  type: string;
  /** Writes the value of each of `rows` in turn, keeping `at.row` on the row being written (for errors). */
  write(block: NativeBlockWriter, out: BinaryWriter, rows: readonly EventRow[], at: { row: number }): void;
}

function scalar<K extends keyof EventRow>(name: K, type: string, put: Put<EventRow[K]>): Column {
  return {
    name, type,
    write(_block, out, rows, at) {
      for (let i = 0; i < rows.length; i++) {
        at.row = i;
        put(out, rows[i]![name]);
      }
    },
  };
}

function map<V>(name: ValuesOf<Record<string, V>>, valueType: string, put: Put<V>): Column {
  return {
    name, type: `Map(String, ${valueType})`,
    write(block, out, rows, at) {
      const maps = rows.map((row) => row[name] as Record<string, V>);
      const keys = maps.map((entries) => Object.keys(entries));
      block.offsets(keys.map((k) => k.length));
      for (const rowKeys of keys) for (const key of rowKeys) out.string(key);
      for (let i = 0; i < maps.length; i++) {
        at.row = i;
        const entries = maps[i]!;
        for (const key of keys[i]!) put(out, entries[key]!);
      }
    },
  };
}

const uuid = (name: ValuesOf<string>) => scalar(name, "UUID", (out, value: string) => out.uuid(value));
const text = (name: ValuesOf<string>) => scalar(name, "String", (out, value: string) => out.string(value));
const time = (name: ValuesOf<number>) => scalar(name, "DateTime64(3, 'UTC')", (out, value: number) => out.dateTime64ms(value));
const flag = (name: ValuesOf<boolean>) => scalar(name, "Bool", (out, value: boolean) => out.bool(value));
const uint16 = (name: ValuesOf<number>) => scalar(name, "UInt16", (out, value: number) => out.uint16(value));
const putString: Put<string> = (out, value) => out.string(value);
const putFloat64: Put<number> = (out, value) => out.float64(value);
const putUInt8: Put<number> = (out, value) => out.uint8(value);

const COLUMNS: Column[] = [
  uuid("project_id"), uuid("event_id"), text("kind"), time("occurred_at"), time("received_at"), text("distinct_id"),
  text("session_id"), flag("cookieless"), flag("is_bot"), text("url"), text("pathname"), text("hostname"), text("referrer"),
  text("referrer_domain"), text("channel"), text("utm_source"), text("utm_medium"), text("utm_campaign"), text("utm_term"),
  text("utm_content"), text("page_title"), text("locale"), uint16("screen_width"), uint16("screen_height"), text("platform"),
  text("sdk_version"), text("browser"), text("browser_version"), text("os"), text("os_version"), text("device_type"),
  text("country"), text("region"), text("city"), map("auto_properties", "String", putString), map("auto_types", "UInt8", putUInt8),
  map("custom_properties", "String", putString), map("custom_numbers", "Float64", putFloat64), map("custom_types", "UInt8", putUInt8),
];

/** The columns of events the encoded rows hold, in their order: the INSERT's column list. */
export const EVENT_COLUMNS: readonly string[] = COLUMNS.map((column) => column.name);

/**
 * The writer every encode writes into (encoding is synchronous, so one at a time): its buffer grows once to the
 * largest block, instead of a new one being allocated and zeroed for every message's few rows.
 */
const scratch = new BinaryWriter(64 * 1024);

/** `rows` as one Native block. Throws (naming the event and the column) for a value the format cannot hold. */
export function encodeEventRows(rows: readonly EventRow[]): Uint8Array {
  const block = new NativeBlockWriter(COLUMNS.length, rows.length, scratch);
  const at = { row: 0 };
  for (const column of COLUMNS) {
    const out = block.column(column.name, column.type);
    try {
      column.write(block, out, rows, at);
    } catch (error) {
      throw new Error(`event ${rows[at.row]?.event_id}: ${column.name}: ${(error as Error).message}`);
    }
  }
  return block.finish();
}
