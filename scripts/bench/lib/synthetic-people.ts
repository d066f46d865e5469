// Synthetic traffic for the people benchmark: `pug seed`'s bulk path (src/seed/: events generated inside
// ClickHouse, the signed-in visitors as profiles and aliases in Postgres and the mirror), plus one person to
// erase. That person, `user-erase`, has `eraseEvents` events under their own id and ten aliases `anon-erase-<k>`
// (in the mirror here; the benchmark adds them to Postgres when it measures the erasure).

import type { ClickHouseClient } from "@clickhouse/client";
import type { Sql } from "../../../src/infra/postgres.ts";
import { backfillFilterSchema } from "../../../src/seed/backfill-filter-schema.ts";
import { eventsWhere } from "../../../src/domain/sql/filter-schema-backfill.ts";
import { insertTraffic } from "../../../src/seed/bulk-events.ts";
import { insertPeople } from "../../../src/seed/seed-people.ts";
import { defaultEndMs, knownVisitorCount, seedPlan } from "../../../src/seed/seed-plan.ts";

export interface SyntheticOptions {
  projectId: string;
  events: number;
  /** Events of `user-erase` and their aliases, spread through the same 30 days. */
  eraseEvents: number;
  onProgress?: (done: number, total: number) => void;
}

/** Seeds the events and people; resolves with the number of aliases in the project. */
export async function insertSyntheticEvents(ch: ClickHouseClient, sql: Sql, options: SyntheticOptions): Promise<number> {
  const { projectId, events, eraseEvents } = options;
  const plan = seedPlan({ projectId, events, days: 30, seed: 1, endMs: defaultEndMs() });
  await insertTraffic(ch, plan, (done) => options.onProgress?.(done, events + eraseEvents));
  await insertPeople(sql, ch, plan, () => {});
  await ch.command({
    query: `INSERT INTO events (project_id, event_id, kind, occurred_at, received_at, distinct_id, session_id, cookieless, url, pathname)
      SELECT {project:UUID}, generateUUIDv4(), ['page_view', 'click'][1 + number % 2],
        toDateTime64(now() - (number * 7919) % (30 * 86400), 3) AS at, at,
        if(number % 2 = 0, 'user-erase', concat('anon-erase-', toString(number % 10))),
        concat('se-', toString(intDiv(number, 12))), false, 'https://shop.example/', '/'
      FROM numbers({count:UInt64})`,
    query_params: { project: projectId, count: eraseEvents },
  });
  await backfillFilterSchema(ch, eventsWhere("project_id = {project:UUID} AND startsWith(session_id, 'se-')"), { project: projectId });
  options.onProgress?.(events + eraseEvents, events + eraseEvents);
  await ch.command({
    query: `INSERT INTO profile_aliases (project_id, alias_id, external_id, profile_id, version, is_deleted)
      SELECT {project:UUID}, concat('anon-erase-', toString(number)), 'user-erase', generateUUIDv4(), 1, 0 FROM numbers(10)`,
    query_params: { project: projectId },
  });
  return knownVisitorCount(plan) + 10;
}
