// Deletes a project's rows in one ClickHouse table (all of them, or those `where` picks), waiting for the
// mutation to finish. A table with nothing to delete gets no mutation: it is counted first.

import type { ClickHouseClient } from "@clickhouse/client";
import { projectRowsCount, projectRowsDelete } from "../../../domain/sql/clickhouse-delete.ts";

export interface ProjectRowsTarget {
  client: ClickHouseClient;
  cluster: string | undefined;
}

/** How many rows matched (and were deleted). */
export async function deleteProjectRows(
  target: ProjectRowsTarget,
  table: string,
  projectId: string,
  where?: string,
  params: Record<string, unknown> = {},
): Promise<number> {
  const query_params = { ...params, project_id: projectId };
  const result = await target.client.query({ query: projectRowsCount(table, where), query_params, format: "JSONEachRow" });
  const [row] = await result.json<{ n: string }>();
  const rows = Number(row?.n ?? 0);
  if (rows === 0) return 0;
  await target.client.command({ query: projectRowsDelete(table, target.cluster, where), query_params, clickhouse_settings: { mutations_sync: "2" } });
  return rows;
}
