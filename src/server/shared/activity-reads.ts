// Reads of per-person activity from ClickHouse's incrementally kept tables (profile_activity, profile_days):
// a few rows per distinct id, never a scan of events. A person is the sum of their distinct ids (external id and
// aliases); the caller resolves those in Postgres. The project id is bound in every query.

import type { ClickHouseClient } from "@clickhouse/client";

export interface Activity {
  firstSeen: Date;
  lastSeen: Date;
  totalEvents: bigint;
  pageviews: bigint;
  sessions: bigint;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: string;
  country: string;
  region: string;
  city: string;
}

interface ActivityRow {
  person: string;
  first_seen: string;
  last_seen: string;
  total_events: string;
  pageviews: string;
  sessions: string;
  client: [string, string, string, string, string, string, string, string];
}

/** DateTime64 as ClickHouse prints it in UTC ("2026-08-01 10:11:12.123"). */
const utc = (text: string) => new Date(`${text.replace(" ", "T")}Z`);

/**
 * Activity of several people in one query: `people` maps a person key (e.g. a profile id) to their distinct ids.
 * People without events are absent from the result.
 */
export async function activityOf(ch: ClickHouseClient, projectId: string, people: Map<string, string[]>): Promise<Map<string, Activity>> {
  const ids: string[] = [];
  const owners: string[] = [];
  for (const [person, distinctIds] of people) for (const id of distinctIds) (ids.push(id), owners.push(person));
  const result = new Map<string, Activity>();
  if (ids.length === 0) return result;
  const rows = await ch.query({
    query: `SELECT transform(distinct_id, {ids:Array(String)}, {owners:Array(String)}, '') AS person,
              min(first_seen) AS first_seen, max(last_seen) AS last_seen,
              sum(total_events) AS total_events, sum(pageviews) AS pageviews,
              uniqMerge(sessions) AS sessions, argMaxMerge(last_client) AS client
            FROM profile_activity
            WHERE project_id = {project:UUID} AND distinct_id IN {ids:Array(String)}
            GROUP BY person`,
    query_params: { project: projectId, ids, owners },
    format: "JSONEachRow",
  });
  for (const row of await rows.json<ActivityRow>()) {
    const [browser, browserVersion, os, osVersion, device, country, region, city] = row.client;
    result.set(row.person, {
      firstSeen: utc(row.first_seen),
      lastSeen: utc(row.last_seen),
      totalEvents: BigInt(row.total_events),
      pageviews: BigInt(row.pageviews),
      sessions: BigInt(row.sessions),
      browser,
      browserVersion,
      os,
      osVersion,
      device,
      country,
      region,
      city,
    });
  }
  return result;
}

/** Events per UTC day of one person's distinct ids, days from `from` to `to` (YYYY-MM-DD, inclusive). */
export async function daysOf(ch: ClickHouseClient, projectId: string, distinctIds: string[], from: string, to: string): Promise<{ date: string; count: bigint }[]> {
  const rows = await ch.query({
    query: `SELECT toString(day) AS date, sum(events) AS count
            FROM profile_days
            WHERE project_id = {project:UUID} AND distinct_id IN {ids:Array(String)} AND day BETWEEN {from:Date} AND {to:Date}
            GROUP BY day
            HAVING count > 0
            ORDER BY day`,
    query_params: { project: projectId, ids: distinctIds, from, to },
    format: "JSONEachRow",
  });
  return (await rows.json<{ date: string; count: string }>()).map((row) => ({ date: row.date, count: BigInt(row.count) }));
}
