// The filter schema of events written without the events worker (`pug seed`'s bulk path, benchmarks, tests that
// insert into events directly), as INSERT … SELECT statements over a source of event rows: the SELECTs of the
// materialized views of migrations/clickhouse/0005_filter_schema.sql (dropped by 0007, the worker tallies what it
// writes: src/domain/ingest/filter-schema-rows.ts), each reading the source where the view read an insert block.
// test/ingest/filter-schema-equivalence.test.ts holds these, the worker's tally and the views equal.
//
// Run each statement once per insert, over exactly the rows that insert wrote, with insert_deduplicate = 0: the
// target tables drop a repeated block, and two backfills may well yield the same rows. A source that filters
// `events` also picks rows an earlier insert wrote with the same ids (ReplacingMergeTree keeps both until it
// merges), and reads what the sort key cannot narrow: writers that still hold their rows pass those instead.

import { PROMOTED_COLUMNS } from "../properties/promoted-columns.ts";

const promotedNames = PROMOTED_COLUMNS.map((promoted) => `'${promoted.name}'`).join(", ");

/** The events `where` (an SQL condition on events' columns) picks, as a backfill source. */
export const eventsWhere = (where: string) => `(SELECT * FROM events WHERE ${where})`;

/**
 * The statements that add the filter schema of the rows of `source`: a table expression (a table's name or a
 * parenthesised SELECT) with the columns of `events`.
 */
export function filterSchemaBackfill(source: string): string[] {
  return [
    `INSERT INTO event_names (project_id, kind, count, last_seen)
SELECT project_id, kind, toUInt64(count()) AS count, max(received_at) AS last_seen
FROM ${source}
GROUP BY project_id, kind`,

    `INSERT INTO property_keys (project_id, source, key, value_type, kind, count, last_seen)
SELECT project_id, p.1 AS source, p.2 AS key, p.3 AS value_type, kind, sum(events) AS count, max(seen) AS last_seen
FROM
(
    SELECT project_id, kind, mapKeys(auto_properties) AS auto_keys, mapKeys(auto_types) AS auto_typed, mapValues(auto_types) AS auto_type_values,
        mapKeys(custom_properties) AS custom_keys, mapKeys(custom_types) AS custom_typed, mapValues(custom_types) AS custom_type_values,
        [${PROMOTED_COLUMNS.map((p) => (p.type === 2 ? `${p.column} != 0` : `${p.column} != ''`)).join(", ")}] AS set_columns,
        count() AS events, max(received_at) AS seen
    FROM ${source}
    GROUP BY project_id, kind, auto_keys, auto_typed, auto_type_values, custom_keys, custom_typed, custom_type_values, set_columns
)
ARRAY JOIN arrayConcat(
    arrayMap(k -> (toUInt8(1), toString(k), if(has(auto_typed, k), auto_type_values[indexOf(auto_typed, k)], toUInt8(1))),
        arrayFilter(k -> NOT has([${promotedNames}], k), auto_keys)),
    arrayMap(c -> (toUInt8(1), c.1, c.2), arrayFilter((c, isSet) -> isSet, [
        ${PROMOTED_COLUMNS.map((p) => `('${p.name}', toUInt8(${p.type}))`).join(", ")}], set_columns)),
    arrayMap(k -> (toUInt8(2), toString(k), if(has(custom_typed, k), custom_type_values[indexOf(custom_typed, k)], toUInt8(1))), custom_keys)
) AS p
GROUP BY project_id, source, key, value_type, kind`,

    // Per event: the two maps and every promoted column, as parallel arrays taken apart by ARRAY JOIN (origin 0 =
    // auto_properties, 1 = a promoted column, 2 = custom_properties). The views took the client and place columns
    // apart after grouping (few distinct values per insert block); the same rows either way.
    `INSERT INTO property_values (project_id, source, key, kind, value, count, last_seen)
SELECT project_id, if(origin = 2, toUInt8(2), toUInt8(1)) AS source, key, kind, value, toUInt64(count()) AS count, max(received_at) AS last_seen
FROM ${source}
ARRAY JOIN
    arrayConcat(arrayWithConstant(length(auto_properties), toUInt8(0)), arrayWithConstant(${PROMOTED_COLUMNS.length}, toUInt8(1)), arrayWithConstant(length(custom_properties), toUInt8(2))) AS origin,
    arrayConcat(CAST(mapKeys(auto_properties), 'Array(String)'), [${promotedNames}], CAST(mapKeys(custom_properties), 'Array(String)')) AS key,
    arrayConcat(mapValues(auto_properties), [${PROMOTED_COLUMNS.map((p) => (p.type === 2 ? `if(${p.column} = 0, '', toString(${p.column}))` : `toString(${p.column})`)).join(", ")}], mapValues(custom_properties)) AS value
WHERE length(value) BETWEEN 1 AND 256
    AND NOT (origin = 0 AND (key IN (${promotedNames}) OR auto_types[key] = 5))
    AND NOT (origin = 2 AND custom_types[key] = 5)
GROUP BY project_id, source, key, kind, value`,
  ];
}
