// The fast bulk path: events are generated inside ClickHouse (INSERT … SELECT over numbers(), see traffic-sql.ts),
// so nothing crosses the wire but the statements. The materialized views on `events` (profile activity, usage) fire
// as they do for the intake's writes; the filter schema, which the events worker writes beside its events, is
// added from each chunk's rows. Chunks of sessions keep each statement a few seconds long and give the progress bar
// something to report; the last chunk stops at exactly the number of events asked for.
//
// Each chunk is generated once into a scratch Memory table of the seed's own, then copied into events and counted
// from there: counting `events WHERE <the chunk's sessions>` instead scanned the project's events so far for every
// chunk (session_id is not in the sort key) and, on a re-seed with the same seed, counted the earlier run's rows
// again. A named table rather than a TEMPORARY one, since temporary tables need an HTTP session.

import type { ClickHouseClient } from "@clickhouse/client";
import type { SeedPlan } from "./seed-plan.ts";
import { backfillFilterSchema } from "./backfill-filter-schema.ts";
import { ORDERED_TRAFFIC_SQL, SESSION_EVENTS_SQL, TRAFFIC_COLUMNS, TRAFFIC_SQL, trafficParams } from "./traffic-sql.ts";

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

/** A Memory table shaped like `events`, named for this seed alone; dropped by `drop`. */
export async function createChunkTable(ch: ClickHouseClient): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `seed_chunk_${crypto.randomUUID().replaceAll("-", "")}`;
  await ch.command({ query: `CREATE TABLE ${name} AS events ENGINE = Memory` });
  return { name, drop: async () => void (await ch.command({ query: `DROP TABLE IF EXISTS ${name}` })) };
}

/** Generates `chunk` into the empty table `staging`, then inserts its rows into events and adds their filter schema. */
export async function insertTrafficChunk(ch: ClickHouseClient, plan: SeedPlan, chunk: Chunk, staging: string): Promise<void> {
  const columns = TRAFFIC_COLUMNS.join(", ");
  // Sorting costs a fifth of the statement; only a cut chunk needs it.
  const rows = chunk.whole ? TRAFFIC_SQL : `${ORDERED_TRAFFIC_SQL} LIMIT {limit:UInt64}`;
  const params = trafficParams(plan, chunk.first, chunk.sessions);
  await ch.command({ query: `INSERT INTO ${staging} (${columns}) SELECT ${columns} FROM (${rows})`, query_params: { ...params, limit: chunk.events } });
  await ch.command({
    query: `INSERT INTO events SELECT * FROM ${staging}`,
    // One statement's rows may land in several parts; none of them is a retry to deduplicate.
    clickhouse_settings: { insert_deduplicate: 0 },
  });
  await backfillFilterSchema(ch, staging);
  await ch.command({ query: `TRUNCATE TABLE ${staging}` });
}

/** Seeds plan.events events; `onProgress` hears the running total after each chunk. */
export async function insertTraffic(ch: ClickHouseClient, plan: SeedPlan, onProgress: (done: number) => void, sessionsPerChunk = SESSIONS_PER_CHUNK): Promise<void> {
  const staging = await createChunkTable(ch);
  try {
    let done = 0;
    for await (const chunk of sessionChunks(ch, plan, sessionsPerChunk)) {
      await insertTrafficChunk(ch, plan, chunk, staging.name);
      done += chunk.events;
      onProgress(done);
    }
  } finally {
    await staging.drop();
  }
}
