// What ClickHouse holds of one person, counted and deleted for an erasure. Deletion is physical: ALTER TABLE …
// DELETE is a mutation that rewrites the parts holding matching rows, and `mutations_sync = 2` returns only once it
// is done (on every replica, for a cluster). A lightweight DELETE would only mask the rows until a merge, and
// personal data would stay on disk for an unknown time. Ids go in as an Array(String) parameter; `has` rather
// than `IN` because an array on the right of IN is not accepted by every ClickHouse version we support.

import type { ClickHouseClient } from "@clickhouse/client";

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

/** Deletes every row of the person in this project; idempotent (deleting nothing is a quick no-op mutation). */
export async function deletePersonRows(target: ClickHouseTarget, projectId: string, externalId: string, ids: string[]): Promise<void> {
  const onCluster = target.cluster ? ` ON CLUSTER '${target.cluster}'` : "";
  for (const { table, where } of PERSON_ROWS) {
    const name = target.cluster ? `${table}_local` : table;
    await target.client.command({
      query: `ALTER TABLE ${name}${onCluster} DELETE WHERE project_id = {project_id:UUID} AND (${where})`,
      query_params: { project_id: projectId, ids, external_id: externalId },
      clickhouse_settings: { mutations_sync: "2" },
    });
  }
}
