// What ClickHouse holds of one person, counted and deleted for an erasure. Deletion is physical: ALTER TABLE …
// DELETE is a mutation that rewrites the parts holding matching rows, and `mutations_sync = 2` returns only once it
// is done (on every replica, for a cluster). A lightweight DELETE would only mask the rows until a merge, and
// personal data would stay on disk for an unknown time. Ids go in as an Array(String) parameter; `has` rather
// than `IN` because an array on the right of IN is not accepted by every ClickHouse version we support.

import type { ClickHouseClient } from "@clickhouse/client";
import { projectRowsDelete } from "../../domain/sql/clickhouse-delete.ts";

export interface ClickHouseTarget {
  client: ClickHouseClient;
  /** CLICKHOUSE_CLUSTER: tables are `<name>_local` on every node, mutated ON CLUSTER. */
  cluster: string | undefined;
}

/** The tables a person's rows are in, and the condition that picks them. */
const PERSON_ROWS: { table: string; where: string }[] = [
  { table: "events", where: "has({ids:Array(String)}, distinct_id)" },
  { table: "profile_activity", where: "has({ids:Array(String)}, distinct_id)" },
  { table: "profile_days", where: "has({ids:Array(String)}, distinct_id)" },
  { table: "profiles", where: "has({ids:Array(String)}, external_id)" },
  { table: "profile_aliases", where: "has({ids:Array(String)}, alias_id) OR external_id = {external_id:String}" },
];

/** Events of these ids (each event once, whatever duplicates a merge has not collapsed yet). */
export async function countPersonEvents(ch: ClickHouseClient, projectId: string, ids: string[]): Promise<number> {
  const result = await ch.query({
    query: "SELECT uniqExact(event_id) AS events FROM events WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, distinct_id)",
    query_params: { project_id: projectId, ids },
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ events: string | number }>();
  return Number(row?.events ?? 0);
}

/**
 * The property values the person's events and profile put into the filter schema's recent values (an email in a
 * trait, a URL with a token): (source, key, value), read before the rows they come from are deleted. The promoted
 * columns with many distinct values are read from their columns, as the filter schema takes them
 * (src/domain/ingest/filter-schema-rows.ts): auto_properties does not hold them.
 */
const PERSON_VALUES = `
  SELECT DISTINCT 1 AS source, key, value FROM events ARRAY JOIN mapKeys(auto_properties) AS key, mapValues(auto_properties) AS value
  WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, distinct_id)
  UNION DISTINCT
  SELECT DISTINCT 1 AS source, c.1 AS key, c.2 AS value FROM events
  ARRAY JOIN [('$url', url), ('$pathname', pathname), ('$referrer', referrer), ('$utmCampaign', utm_campaign), ('$utmTerm', utm_term),
    ('$utmContent', utm_content), ('$pageTitle', page_title)] AS c
  WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, distinct_id) AND c.2 != ''
  UNION DISTINCT
  SELECT DISTINCT 2 AS source, key, value FROM events ARRAY JOIN mapKeys(custom_properties) AS key, mapValues(custom_properties) AS value
  WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, distinct_id)
  UNION DISTINCT
  SELECT DISTINCT 3 AS source, key, value FROM profiles ARRAY JOIN mapKeys(property_texts) AS key, mapValues(property_texts) AS value
  WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, external_id)`;

/**
 * Deletes every row of the person in this project; idempotent (deleting nothing is a quick no-op mutation). Recent
 * values go first, while the rows that name them still exist: a value other people share disappears from the
 * suggestions too, until one of their events brings it back.
 */
export async function deletePersonRows(target: ClickHouseTarget, projectId: string, externalId: string, ids: string[]): Promise<void> {
  const values = await (await target.client.query({ query: PERSON_VALUES, query_params: { project_id: projectId, ids }, format: "JSONEachRow" }))
    .json<{ source: number; key: string; value: string }>();
  if (values.length > 0) {
    await mutate(target, "property_values", "has(arrayZip({sources:Array(UInt8)}, {keys:Array(String)}, {values:Array(String)}), (source, key, value))", {
      project_id: projectId,
      sources: values.map((row) => Number(row.source)),
      keys: values.map((row) => row.key),
      values: values.map((row) => row.value),
    });
  }
  for (const { table, where } of PERSON_ROWS) await mutate(target, table, where, { project_id: projectId, ids, external_id: externalId });
}

async function mutate(target: ClickHouseTarget, table: string, where: string, params: Record<string, unknown>): Promise<void> {
  await target.client.command({
    query: projectRowsDelete(table, target.cluster, where),
    query_params: params,
    clickhouse_settings: { mutations_sync: "2" },
  });
}
