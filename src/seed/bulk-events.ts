// The fast bulk path: events are generated inside ClickHouse (INSERT … SELECT over numbers(), see traffic-sql.ts),
// so nothing crosses the wire but the statement. The materialized views on `events` (profile activity, usage) fire
// as they do for the intake's writes; the filter schema, which the events worker writes beside its events, is
// added from each chunk's events once they are in. Chunks of sessions keep each statement a few seconds long and
// give the progress bar something to report; the last chunk stops at exactly the number of events asked for.

import type { ClickHouseClient } from "@clickhouse/client";
import type { SeedPlan } from "./seed-plan.ts";
import { backfillFilterSchema } from "./backfill-filter-schema.ts";
import { ORDERED_TRAFFIC_SQL, SESSION_EVENTS_SQL, SESSION_IDS_SQL, TRAFFIC_COLUMNS, TRAFFIC_SQL, trafficParams } from "./traffic-sql.ts";

/** Sessions per statement: about 150,000 events. */
export const SESSIONS_PER_CHUNK = 20_000;

export interface Chunk {
  first: number;
  sessions: number;
  /** Events to keep from these sessions (all of them, except in the last chunk). */
  events: number;
  /** Whether `events` is all the sessions hold. */
  whole: boolean;
}

/** The chunks of sessions that hold exactly `plan.events` events, as ClickHouse counts them, one at a time. */
export async function* sessionChunks(ch: ClickHouseClient, plan: SeedPlan, sessionsPerChunk = SESSIONS_PER_CHUNK): AsyncGenerator<Chunk> {
  let remaining = plan.events;
  for (let first = 0; remaining > 0; first += sessionsPerChunk) {
    const result = await ch.query({ query: SESSION_EVENTS_SQL, query_params: trafficParams(plan, first, sessionsPerChunk), format: "JSONEachRow" });
    const held = Number((await result.json<{ events: string }>())[0]!.events);
    const events = Math.min(held, remaining);
    remaining -= events;
    yield { first, sessions: sessionsPerChunk, events, whole: events === held };
  }
}

export async function insertTrafficChunk(ch: ClickHouseClient, plan: SeedPlan, chunk: Chunk): Promise<void> {
  const columns = TRAFFIC_COLUMNS.join(", ");
  // Sorting costs a fifth of the statement; only a cut chunk needs it.
  const rows = chunk.whole ? TRAFFIC_SQL : `${ORDERED_TRAFFIC_SQL} LIMIT {limit:UInt64}`;
  const params = trafficParams(plan, chunk.first, chunk.sessions);
  await ch.command({
    query: `INSERT INTO events (${columns}) SELECT ${columns} FROM (${rows})`,
    query_params: { ...params, limit: chunk.events },
    // One statement's rows may land in several parts; none of them is a retry to deduplicate.
    clickhouse_settings: { insert_deduplicate: 0 },
  });
  // A chunk's sessions are its own (ids drawn from the seed): their events are exactly the rows just inserted.
  await backfillFilterSchema(ch, `project_id = {project:UUID} AND session_id IN (${SESSION_IDS_SQL})`, params);
}

/** Seeds plan.events events; `onProgress` hears the running total after each chunk. */
export async function insertTraffic(ch: ClickHouseClient, plan: SeedPlan, onProgress: (done: number) => void, sessionsPerChunk = SESSIONS_PER_CHUNK): Promise<void> {
  let done = 0;
  for await (const chunk of sessionChunks(ch, plan, sessionsPerChunk)) {
    await insertTrafficChunk(ch, plan, chunk);
    done += chunk.events;
    onProgress(done);
  }
}
