// GetFilterSchema and GetPropertyValues as queries of the filter schema tables (migrations/clickhouse/
// 0005_filter_schema.sql), never of events. Those tables aggregate on merge, so unmerged parts still hold several
// rows per key: every read sums counts and takes the latest last_seen.
//
// A key sent with two types has a row per type there; the schema lists each key once, with the type most of its
// values had (ties: the lower type number), so the dashboard offers one filter per name. allowed_types then
// keeps the keys whose listed type is allowed. event_kind narrows event keys to those seen on events of that
// kind; profile keys belong to no kind and are always listed. Each list holds at most MAX_KEYS keys, the most
// used first.

import { PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { FieldError } from "../field-error.ts";
import { type ResolvedSource, resolvedSource } from "../insights/property-sql.ts";
import { MAX_KIND_LENGTH } from "../insights/event-filter-sql.ts";
import type { SqlQuery } from "../insights/insight-plan.ts";
import { QueryParams } from "../insights/query-params.ts";
import { ValueType } from "../properties/value-types.ts";

export const MAX_KEYS = 1000;
export const MAX_EVENT_NAMES = 1000;
export const MAX_PROPERTY_VALUES = 100;
export const PROPERTY_VALUE_DAYS = 30;
export const MAX_PROPERTY_KEY_LENGTH = 200;
/** The contract's pattern for a property key: an optional `$`, then dot-separated words. */
const PROPERTY_KEY = /^\$?[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;

const VALUE_TYPES = new Set<number>(Object.values(ValueType));

export function checkEventKind(kind: string, field = "event_kind"): void {
  if (kind.length > MAX_KIND_LENGTH) throw new FieldError(field, `longer than ${MAX_KIND_LENGTH} characters`);
}

/** Event names with their counts, most frequent first. Rows: {name, count, last_seen_ms}. */
export function eventNamesQuery(projectId: string): SqlQuery {
  const params = new QueryParams(projectId);
  const sql = `SELECT kind AS name, sum(count) AS count, toUnixTimestamp64Milli(max(last_seen)) AS last_seen_ms
FROM event_names
WHERE project_id = ${params.project}
GROUP BY kind
ORDER BY count DESC, name
LIMIT ${MAX_EVENT_NAMES}`;
  return { sql, params: params.values };
}

/** Property keys of every source, each once with its main type. Rows: {source, name, count, last_seen_ms, value_type}. */
export function propertyKeysQuery(projectId: string, eventKind: string, allowedTypes: number[]): SqlQuery {
  checkEventKind(eventKind);
  allowedTypes.forEach((type, i) => {
    if (!VALUE_TYPES.has(type)) throw new FieldError(`allowed_types[${i}]`, type === 0 ? "unspecified is not a type" : `unknown value type ${type}`);
  });
  const params = new QueryParams(projectId);
  const kind = eventKind === "" ? "" : ` AND (kind = ${params.add(eventKind, "String")} OR source = ${PropertySource.PROFILE})`;
  const types = allowedTypes.length === 0 ? "" : `HAVING value_type IN ${params.add(allowedTypes, "Array(UInt8)")}`;
  const sql = `SELECT source, name, sum(typed_count) AS count, toUnixTimestamp64Milli(max(typed_last_seen)) AS last_seen_ms,
  argMax(typed_as, (typed_count, -typed_as)) AS value_type
FROM (
  SELECT source, key AS name, value_type AS typed_as, sum(count) AS typed_count, max(last_seen) AS typed_last_seen
  FROM property_keys
  WHERE project_id = ${params.project}${kind}
  GROUP BY source, name, typed_as
)
GROUP BY source, name
${types}
ORDER BY source, count DESC, name
LIMIT ${MAX_KEYS} BY source`;
  return { sql, params: params.values };
}

export type ValueSource = ResolvedSource;

/** A GetPropertyValues key, checked against the contract's pattern, and its source (unspecified: by `$`). */
export function propertyValuesSource(propertyKey: string, source: PropertySource): ValueSource {
  if (propertyKey === "") throw new FieldError("property_key", "required");
  if (propertyKey.length > MAX_PROPERTY_KEY_LENGTH) throw new FieldError("property_key", `longer than ${MAX_PROPERTY_KEY_LENGTH} characters`);
  if (!PROPERTY_KEY.test(propertyKey)) throw new FieldError("property_key", "not a property key: letters, digits, '_' or '-', dot-separated, optionally after '$'");
  return resolvedSource(propertyKey, source, "source");
}

/**
 * The most frequent values of one key seen in the last 30 days (by when Pug received them), at most 100. An
 * event kind narrows event keys to that kind's values; profile traits have no kind. Rows: {value}.
 */
export function propertyValuesQuery(projectId: string, propertyKey: string, source: PropertySource, eventKind: string): SqlQuery {
  const resolved = propertyValuesSource(propertyKey, source);
  checkEventKind(eventKind);
  const params = new QueryParams(projectId);
  const kind = eventKind === "" || resolved === PropertySource.PROFILE ? "" : ` AND kind = ${params.add(eventKind, "String")}`;
  const sql = `SELECT value
FROM property_values
WHERE project_id = ${params.project} AND source = ${params.add(resolved, "UInt8")} AND key = ${params.add(propertyKey, "String")}${kind}
  AND last_seen >= now64(3) - INTERVAL ${PROPERTY_VALUE_DAYS} DAY
GROUP BY value
ORDER BY sum(count) DESC, value
LIMIT ${MAX_PROPERTY_VALUES}`;
  return { sql, params: params.values };
}
