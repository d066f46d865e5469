// Stock Connect clients for the shared services (what the dashboard uses), and seeding of people and events
// straight into Postgres and ClickHouse for API tests that must not wait for the workers.

import type { ClickHouseClient } from "@clickhouse/client";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { Sql } from "../../src/infra/postgres.ts";
import { backfillFilterSchema } from "../../src/seed/backfill-filter-schema.ts";
import { eventsWhere } from "../../src/domain/sql/filter-schema-backfill.ts";
import { ActivityService } from "../../src/gen/shared/activity/v1/activity_pb.ts";
import { InsightsService } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { ProfilesService } from "../../src/gen/shared/profiles/v1/profiles_pb.ts";

export interface SharedClients {
  profiles: Client<typeof ProfilesService>;
  activity: Client<typeof ActivityService>;
  insights: Client<typeof InsightsService>;
}

export function sharedClients(baseUrl: string, useBinaryFormat: boolean): SharedClients {
  const transport = createConnectTransport({ baseUrl, useBinaryFormat });
  return { profiles: createClient(ProfilesService, transport), activity: createClient(ActivityService, transport), insights: createClient(InsightsService, transport) };
}

export const withKey = (key: string) => ({ headers: { "x-api-key": key } });

export interface SeedProfile {
  externalId: string;
  traits?: Record<string, unknown>;
  aliases?: string[];
  /** Seconds before now; profiles with equal values share created_at exactly. */
  ageSeconds?: number;
  deleted?: boolean;
}

/** Inserts profiles (and their aliases) of one project; returns their ids in order. */
export async function seedProfiles(sql: Sql, projectId: string, profiles: SeedProfile[]): Promise<string[]> {
  const ids: string[] = [];
  // To the microsecond, as Postgres keeps it (a Date would round to milliseconds).
  const now = (await sql<{ now: string }[]>`SELECT now()::text AS now`)[0]!.now;
  for (const profile of profiles) {
    const [row] = await sql<{ id: string }[]>`
      INSERT INTO profiles (project_id, external_id, traits, created_at, updated_at, deleted_at)
      SELECT ${projectId}, ${profile.externalId}, ${sql.json((profile.traits ?? {}) as never)}, at, at, CASE WHEN ${profile.deleted ?? false} THEN at END
      FROM (SELECT ${now}::text::timestamptz - make_interval(secs => ${profile.ageSeconds ?? 0}) AS at) AS t
      RETURNING id`;
    for (const alias of profile.aliases ?? []) await sql`INSERT INTO profile_aliases (project_id, alias_id, profile_id) VALUES (${projectId}, ${alias}, ${row!.id})`;
    ids.push(row!.id);
  }
  return ids;
}

export interface SeedEvent {
  project_id: string;
  distinct_id: string;
  occurred_at: Date;
  kind?: string;
  session_id?: string;
  cookieless?: boolean;
  browser?: string;
  browser_version?: string;
  os?: string;
  os_version?: string;
  device_type?: string;
  country?: string;
  region?: string;
  city?: string;
  event_id?: string;
  is_bot?: boolean;
  url?: string;
  pathname?: string;
  screen_width?: number;
  auto_properties?: Record<string, string>;
  auto_types?: Record<string, number>;
  custom_properties?: Record<string, string>;
  custom_types?: Record<string, number>;
  custom_numbers?: Record<string, number>;
}

/** Inserts events; the materialized views fill profile_activity and profile_days from them, a backfill the filter schema. */
export async function seedEvents(ch: ClickHouseClient, events: SeedEvent[]): Promise<void> {
  const at = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");
  const rows = events.map((event) => ({ event_id: crypto.randomUUID(), kind: "click", session_id: "", cookieless: false, ...event, occurred_at: at(event.occurred_at), received_at: at(event.occurred_at) }));
  await ch.insert({ table: "events", format: "JSONEachRow", values: rows });
  await backfillFilterSchema(ch, eventsWhere("event_id IN {ids:Array(UUID)}"), { ids: rows.map((row) => row.event_id) });
}
