// Fills the filter schema for events inserted straight into ClickHouse (see src/domain/sql/filter-schema-backfill.ts).

import type { ClickHouseClient } from "@clickhouse/client";
import { filterSchemaBackfill } from "../domain/sql/filter-schema-backfill.ts";

/**
 * Adds the filter schema of the event rows in `source` (a table expression with `params` as its query parameters,
 * e.g. `eventsWhere(…)`); run once per insert, over the rows it inserted.
 */
export async function backfillFilterSchema(ch: ClickHouseClient, source: string, params: Record<string, unknown> = {}): Promise<void> {
  for (const query of filterSchemaBackfill(source)) {
    // The target tables deduplicate inserts; a backfill is no retry, even when it yields the rows of an earlier one.
    await ch.command({ query, query_params: params, clickhouse_settings: { insert_deduplicate: 0 } });
  }
}
