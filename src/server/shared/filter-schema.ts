// GetFilterSchema and GetPropertyValues, shared by InsightsService and ActivityService: the queries come from
// src/domain/schema/filter-schema-sql.ts, this runs them with the dashboard's read limits and shapes the reply.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type GetFilterSchemaRequest, type GetFilterSchemaResponse, GetFilterSchemaResponseSchema, PropertySource } from "../../gen/common/v1/filter_schema_pb.ts";
import { filterSchemaCacheKey } from "../../domain/insights/cache-key.ts";
import { eventNamesQuery, propertyKeysQuery, propertyValuesQuery } from "../../domain/schema/filter-schema-sql.ts";
import { runInsightQueries } from "./insight-runner.ts";
import type { SharedDeps } from "./shared-deps.ts";

type SchemaReply = MessageInitShape<typeof GetFilterSchemaResponseSchema>;

interface NameRow {
  name: string;
  count: number | string;
  last_seen_ms: number | string;
}

/** The project's filter schema, from the query cache when another call asked the same within its TTL. */
export async function filterSchema(deps: SharedDeps, projectId: string, request: GetFilterSchemaRequest, signal: AbortSignal): Promise<GetFilterSchemaResponse> {
  return await deps.cache.answer(GetFilterSchemaResponseSchema, filterSchemaCacheKey(projectId, request), async () =>
    create(GetFilterSchemaResponseSchema, await readFilterSchema(deps, projectId, request, signal)),
  );
}

async function readFilterSchema(deps: SharedDeps, projectId: string, request: GetFilterSchemaRequest, signal: AbortSignal): Promise<SchemaReply> {
  const keysQuery = propertyKeysQuery(projectId, request.eventKind, request.allowedTypes);
  const [names, keys] = (await runInsightQueries(deps, [eventNamesQuery(projectId), keysQuery], signal)) as unknown as [NameRow[], (NameRow & { source: number; value_type: number })[]];
  const meta = (row: NameRow) => ({ name: row.name, count: BigInt(row.count), lastSeenAt: timestampFromMs(Number(row.last_seen_ms)) });
  const keysOf = (source: PropertySource) => keys.filter((row) => row.source === source).map((row) => ({ ...meta(row), valueType: row.value_type }));
  return {
    events: names.map(meta),
    autoPropertyKeys: keysOf(PropertySource.AUTO),
    customPropertyKeys: keysOf(PropertySource.CUSTOM),
    profilePropertyKeys: keysOf(PropertySource.PROFILE),
  };
}

export async function propertyValues(
  deps: SharedDeps,
  projectId: string,
  request: { propertyKey: string; source: PropertySource; eventKind: string },
  signal: AbortSignal,
): Promise<{ values: string[] }> {
  const query = propertyValuesQuery(projectId, request.propertyKey, request.source, request.eventKind);
  const [rows] = await runInsightQueries(deps, [query], signal);
  return { values: rows!.map((row) => String(row.value)) };
}
