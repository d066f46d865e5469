// The filter schema rows of a write's events (event_names, property_keys, property_values; see
// migrations/clickhouse/0005_filter_schema.sql), tallied by the events worker instead of ClickHouse's views, with
// exactly the views' rules: ../sql/filter-schema-backfill.ts keeps those rules as SQL, and
// test/ingest/filter-schema-equivalence.test.ts holds the two equal.
//
// Automatic keys are the auto_properties keys but the promoted names, plus each promoted column under its `$` name
// when set (non-empty, non-zero); custom keys are every custom_properties key; a key's value type is its *_types
// cell, a string when absent. Values are 1 to 256 bytes of UTF-8, datetimes left out (promoted columns have none),
// screen sizes as decimal integers. Counts are rows, last_seen the latest received_at.

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { PROMOTED_COLUMNS } from "../properties/promoted-columns.ts";
import { ValueType } from "../properties/value-types.ts";
import type { EventRow } from "./event-row.ts";

export interface EventNameRow {
  project_id: string;
  kind: string;
  count: number;
  /** ms since the epoch */
  last_seen: number;
}

export interface PropertyKeyRow extends EventNameRow {
  source: number;
  key: string;
  value_type: number;
}

export interface PropertyValueRow extends EventNameRow {
  source: number;
  key: string;
  value: string;
}

export interface FilterSchemaRows {
  eventNames: EventNameRow[];
  propertyKeys: PropertyKeyRow[];
  propertyValues: PropertyValueRow[];
}

/**
 * A tally as a held message keeps it until its write: flat arrays, a few cells a row and no object per row (an
 * object a row took about twice the memory, and as many objects for the collector to trace).
 */
export interface FilterSchemaPart {
  /** project_id and kind of each group (an event name) in turn. */
  groups: string[];
  /** count and last_seen of each group in turn. */
  groupTallies: number[];
  /** Group index, source, value type, key, count and last_seen of each key row in turn. */
  keys: (number | string)[];
  /** Group index, source, key, value, count and last_seen of each value row in turn. */
  values: (number | string)[];
}

const MAX_VALUE_BYTES = 256;
const PROMOTED_INDEX = new Map(PROMOTED_COLUMNS.map((promoted, i) => [promoted.name, i]));

interface Tallied {
  count: number;
  last_seen: number;
}

/**
 * The tallies of one project and kind. The promoted columns have slots by their index in PROMOTED_COLUMNS; other
 * keys are by source (auto, custom), then key (one row per type it came with), values by source, key, then value.
 */
interface Group extends EventNameRow {
  promotedKeys: (PropertyKeyRow | undefined)[];
  promotedValues: (Map<string, PropertyValueRow> | undefined)[];
  keys: [Map<string, PropertyKeyRow[]>, Map<string, PropertyKeyRow[]>];
  values: [Map<string, Map<string, PropertyValueRow>>, Map<string, Map<string, PropertyValueRow>>];
}

/** Sums rows of the filter schema by their table's key: of events (add), and of tallies made elsewhere (addPart). */
export class FilterSchemaTally {
  readonly #groups = new Map<string, Group>();
  #last: Group | undefined;

  /** Tallies `rows`: the rows of one write, or of one message of it. */
  add(rows: readonly EventRow[]): this {
    for (const row of rows) this.#addEvent(row);
    return this;
  }

  /** Adds a tally made elsewhere (another tally's part(): a message's, when its write is combined). */
  addPart(part: FilterSchemaPart): this {
    const groups: Group[] = [];
    for (let i = 0; i < part.groups.length; i += 2) {
      const group = this.#group(part.groups[i] as string, part.groups[i + 1] as string);
      tally(group, part.groupTallies[i]!, part.groupTallies[i + 1]!);
      groups.push(group);
    }
    const { keys, values } = part;
    for (let i = 0; i < keys.length; i += 6) {
      const group = groups[keys[i] as number]!;
      const [source, valueType, key] = [keys[i + 1] as number, keys[i + 2] as number, keys[i + 3] as string];
      const promoted = source === PropertySource.AUTO ? PROMOTED_INDEX.get(key) : undefined;
      const row = promoted !== undefined && PROMOTED_COLUMNS[promoted]!.type === valueType ? promotedKey(group, promoted) : this.#key(group, source, valueType, key);
      tally(row, keys[i + 4] as number, keys[i + 5] as number);
    }
    for (let i = 0; i < values.length; i += 6) {
      const group = groups[values[i] as number]!;
      const [source, key, value] = [values[i + 1] as number, values[i + 2] as string, values[i + 3] as string];
      const promoted = source === PropertySource.AUTO ? PROMOTED_INDEX.get(key) : undefined;
      const byValue = promoted !== undefined ? promotedValues(group, promoted) : valuesOf(group, source, key);
      tally(valueRow(group, byValue, source, key, value), values[i + 4] as number, values[i + 5] as number);
    }
    return this;
  }

  /** The tally in compact form, to hold until it is added to another (see FilterSchemaPart). */
  part(): FilterSchemaPart {
    const part: FilterSchemaPart = { groups: [], groupTallies: [], keys: [], values: [] };
    let index = -1;
    this.#visit(
      (group) => {
        index++;
        part.groups.push(group.project_id, group.kind);
        part.groupTallies.push(group.count, group.last_seen);
      },
      (key) => part.keys.push(index, key.source, key.value_type, key.key, key.count, key.last_seen),
      (value) => part.values.push(index, value.source, value.key, value.value, value.count, value.last_seen),
    );
    return part;
  }

  rows(): FilterSchemaRows {
    const rows: FilterSchemaRows = { eventNames: [], propertyKeys: [], propertyValues: [] };
    this.#visit(
      ({ project_id, kind, count, last_seen }) => rows.eventNames.push({ project_id, kind, count, last_seen }),
      (key) => rows.propertyKeys.push(key),
      (value) => rows.propertyValues.push(value),
    );
    return rows;
  }

  /** Every group in turn, each followed by its keys and values. */
  #visit(onGroup: (group: Group) => void, onKey: (row: PropertyKeyRow) => void, onValue: (row: PropertyValueRow) => void): void {
    for (const group of this.#groups.values()) {
      onGroup(group);
      for (const key of group.promotedKeys) if (key) onKey(key);
      for (const bySource of group.keys) for (const types of bySource.values()) for (const key of types) onKey(key);
      for (const byValue of group.promotedValues) if (byValue) for (const value of byValue.values()) onValue(value);
      for (const bySource of group.values) for (const byValue of bySource.values()) for (const value of byValue.values()) onValue(value);
    }
  }

  #addEvent(row: EventRow): void {
    const at = row.received_at;
    const group = this.#group(row.project_id, row.kind);
    tally(group, 1, at);
    for (let i = 0; i < PROMOTED_COLUMNS.length; i++) {
      const cell = row[PROMOTED_COLUMNS[i]!.column] as string | number;
      if (cell === "" || cell === 0) continue;
      tally(promotedKey(group, i), 1, at);
      const value = typeof cell === "number" ? String(cell) : cell;
      if (fitsValue(value)) tally(valueRow(group, promotedValues(group, i), PropertySource.AUTO, PROMOTED_COLUMNS[i]!.name, value), 1, at);
    }
    this.#addProperties(group, PropertySource.AUTO, row.auto_properties, row.auto_types, at);
    this.#addProperties(group, PropertySource.CUSTOM, row.custom_properties, row.custom_types, at);
  }

  #addProperties(group: Group, source: number, properties: Record<string, string>, types: Record<string, number>, at: number): void {
    for (const key in properties) {
      if (!Object.hasOwn(properties, key)) continue;
      // Only the promoted column holds a `$` name's value (an older row's copy in auto_properties is ignored).
      if (source === PropertySource.AUTO && PROMOTED_INDEX.has(key)) continue;
      const cell = Object.hasOwn(types, key) ? types[key]! : undefined;
      tally(this.#key(group, source, cell === undefined ? ValueType.STRING : cell, key), 1, at);
      const value = properties[key]!;
      if (cell !== ValueType.DATETIME && fitsValue(value)) tally(valueRow(group, valuesOf(group, source, key), source, key, value), 1, at);
    }
  }

  #group(projectId: string, kind: string): Group {
    // Rows come in runs of one project and kind.
    const last = this.#last;
    if (last !== undefined && last.project_id === projectId && last.kind === kind) return last;
    // A project id is a UUID (no newline), so the pair is unambiguous.
    const id = `${projectId}\n${kind}`;
    let group = this.#groups.get(id);
    if (!group) {
      group = {
        project_id: projectId, kind, count: 0, last_seen: -Infinity, promotedKeys: [], promotedValues: [],
        keys: [new Map(), new Map()], values: [new Map(), new Map()],
      };
      this.#groups.set(id, group);
    }
    this.#last = group;
    return group;
  }

  #key(group: Group, source: number, valueType: number, key: string): PropertyKeyRow {
    const bySource = group.keys[source - 1]!;
    let types = bySource.get(key);
    if (!types) {
      types = [];
      bySource.set(key, types);
    }
    for (const row of types) if (row.value_type === valueType) return row;
    const row = { project_id: group.project_id, source, key, value_type: valueType, kind: group.kind, count: 0, last_seen: -Infinity };
    types.push(row);
    return row;
  }
}

function promotedKey(group: Group, index: number): PropertyKeyRow {
  let row = group.promotedKeys[index];
  if (!row) {
    const { name, type } = PROMOTED_COLUMNS[index]!;
    row = { project_id: group.project_id, source: PropertySource.AUTO, key: name, value_type: type, kind: group.kind, count: 0, last_seen: -Infinity };
    group.promotedKeys[index] = row;
  }
  return row;
}

function promotedValues(group: Group, index: number): Map<string, PropertyValueRow> {
  let byValue = group.promotedValues[index];
  if (!byValue) {
    byValue = new Map();
    group.promotedValues[index] = byValue;
  }
  return byValue;
}

function valuesOf(group: Group, source: number, key: string): Map<string, PropertyValueRow> {
  const bySource = group.values[source - 1]!;
  let byValue = bySource.get(key);
  if (!byValue) {
    byValue = new Map();
    bySource.set(key, byValue);
  }
  return byValue;
}

function valueRow(group: Group, byValue: Map<string, PropertyValueRow>, source: number, key: string, value: string): PropertyValueRow {
  let row = byValue.get(value);
  if (!row) {
    row = { project_id: group.project_id, source, key, kind: group.kind, value, count: 0, last_seen: -Infinity };
    byValue.set(value, row);
  }
  return row;
}

/** The tally of `rows` in compact form: what a message holds for its write. */
export function filterSchemaPart(rows: readonly EventRow[]): FilterSchemaPart {
  return new FilterSchemaTally().add(rows).part();
}

/** The filter schema rows of `rows`, summed by key. */
export function filterSchemaRows(rows: readonly EventRow[]): FilterSchemaRows {
  return new FilterSchemaTally().add(rows).rows();
}

function tally(row: Tallied, count: number, at: number): void {
  row.count += count;
  if (at > row.last_seen) row.last_seen = at;
}

/** About what `part` takes in memory: its cells, and the texts it alone may hold. */
export function filterSchemaPartBytes(part: FilterSchemaPart): number {
  let bytes = 8 * (part.groups.length + part.groupTallies.length + part.keys.length + part.values.length);
  for (let i = 3; i < part.keys.length; i += 6) bytes += (part.keys[i] as string).length;
  for (let i = 2; i < part.values.length; i += 6) bytes += (part.values[i] as string).length + (part.values[i + 1] as string).length;
  return bytes;
}

/** 1 to 256 bytes as UTF-8 (ClickHouse's length(); a lone surrogate is written as the 3 bytes of U+FFFD). */
export function fitsValue(value: string): boolean {
  const units = value.length;
  if (units === 0 || units > MAX_VALUE_BYTES) return false;
  if (units * 3 <= MAX_VALUE_BYTES) return true;
  let bytes = 0;
  for (let i = 0; i < units; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < units && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes <= MAX_VALUE_BYTES;
}
