// The events table as the writer sees it: each request queued in a message (an IngestGroup on `<stream>.group`,
// or one IngestBatch on `events.ingest` from servers before group commit) becomes one enriched row per event.
// Events that cannot be enriched are dead-lettered, in the message's own format, so the rest is still stored.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { App } from "../../app/app.ts";
import { EVENTS_STREAM } from "../../domain/ingest/event-partitions.ts";
import type { EventRow } from "../../domain/ingest/event-row.ts";
import { EVENT_COLUMNS, encodeEventRows } from "../../domain/ingest/event-native.ts";
import { encodeFilterSchemaRows } from "../../domain/ingest/filter-schema-native.ts";
import { type FilterSchemaPart, FilterSchemaTally, filterSchemaPart, filterSchemaPartBytes } from "../../domain/ingest/filter-schema-rows.ts";
import type { ClientLookups, StageContext } from "../../domain/ingest/pipeline-types.ts";
import { RecentRequests, requestKey } from "../../domain/ingest/recent-requests.ts";
import { GROUP_SUBJECT, groupOf, readQueuedBatches } from "../../domain/ingest/ingest-frames.ts";
import { enrichBatch, needsLegacyClientFacts } from "../../domain/ingest/pipeline.ts";
import { type IngestBatch, IngestBatchSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import { hmacHex, type SaltSource } from "../../infra/cookieless-salt.ts";
import type { HeldBudget } from "../../pipeline/held-budget.ts";
import type { Conversion, DerivedTables, TableSink } from "../../pipeline/types.ts";
import type { ErasureTombstones } from "../../store/erasure-tombstones.ts";

export { EVENTS_STREAM };
export const EVENTS_CONSUMER = "events-worker";

/** JetStream's duplicate window for the events streams (src/domain/migrations/nats-declarations.ts). */
const REPEAT_WINDOW_MS = 120_000;
/** Requests remembered by a worker: 2 minutes of 800 requests/s, in about 13 MB. */
const REPEAT_CAPACITY = 100_000;

let sinks = 0;

/** The memory of recent requests that the events sinks of one process share (see recent-requests.ts). */
export const recentRequests = () => new RecentRequests(REPEAT_WINDOW_MS, REPEAT_CAPACITY);

/**
 * The filter schema (event_names, property_keys, property_values) of what each write stores, tallied here rather
 * than by views inside ClickHouse (migration 0007): each message's rows when converted, a write's messages combined.
 */
const filterSchema: DerivedTables<EventRow, FilterSchemaPart> = {
  derive: filterSchemaPart,
  bytes: filterSchemaPartBytes,
  combine: (parts) => encodeFilterSchemaRows(parts.reduce((tally, part) => tally.addPart(part), new FilterSchemaTally()).rows()),
};

/** The events table as the writer of one partition's stream (bare name) sees it; every partition dead-letters into `events_dlq`. */
export function eventsSink(app: App, lookups: StageContext & Pick<ClientLookups, "geo">, salts: SaltSource, tombstones: ErasureTombstones, stream: string, budget: HeldBudget, recent: RecentRequests): TableSink<EventRow> {
  const { batchMax, batchMaxBytes, batchWaitMs } = app.config.eventsWorker;
  // This sink's own keys in the process's memory: a partition taken again later is a new lease, which must not see
  // what this one converted (another worker may have dead-lettered and forgotten it meanwhile).
  const scope = `${stream}#${++sinks}`;
  return {
    table: "events",
    stream,
    deadLetterStream: `${EVENTS_STREAM}_dlq`,
    consumer: EVENTS_CONSUMER,
    limits: { maxRows: batchMax, maxBytes: batchMaxBytes, maxWaitMs: batchWaitMs },
    budget,
    encoding: { format: "Native", columns: EVENT_COLUMNS, encode: encodeEventRows },
    derived: filterSchema,
    async convert(message): Promise<Conversion<EventRow>> {
      let batches: IngestBatch[];
      try {
        batches = readQueuedBatches(message.data, message.subject);
      } catch (error) {
        return { rows: [], reject: { reason: "undecodable", detail: (error as Error).message } };
      }
      // Each batch is one request with its own context; a group message's refused parts are dead-lettered together
      // as one group (the stream's format, readable back with readQueuedBatches).
      const rows: EventRow[] = [];
      const refused: IngestBatch[] = [];
      const details: string[] = [];
      const inThisMessage = new Set<string>();
      for (const batch of batches) {
        // An SDK's retry of a request stored by an earlier message of this partition, or earlier in this one (a
        // retry that joined the group its first attempt was waiting in): see recent-requests.ts.
        const key = requestKey(batch.projectId, batch.events.map((event) => event.eventId), scope);
        const inMessage = `${key.key}:${key.check}`;
        if (inThisMessage.has(inMessage) || recent.repeated(key, message.seq, Date.now())) {
          app.metrics.repeatedEvents.inc(batch.events.length);
          continue;
        }
        const converted = await convertBatch(batch);
        // A request dead-lettered whole is not stored: sent again (replayed after a fix), it is no repeat.
        if (converted.refused?.events.length !== batch.events.length) {
          inThisMessage.add(inMessage);
          recent.stored(key, message.seq, Date.now());
        }
        rows.push(...converted.rows);
        if (converted.refused) {
          refused.push(converted.refused);
          details.push(converted.detail);
        }
      }
      if (refused.length === 0) return { rows };
      const grouped = message.subject.endsWith(`.${GROUP_SUBJECT}`);
      return { rows, reject: { reason: "unenrichable", detail: details.join("; "), data: grouped ? groupOf(refused) : toBinary(IngestBatchSchema, refused[0]!) } };
    },
    deadLettered(message) {
      // Its requests were remembered when it was converted; never stored, they may come again (a replay). Bytes
      // that are no queued message (undecodable) had no request to remember.
      let batches: IngestBatch[];
      try {
        batches = readQueuedBatches(message.data, message.subject);
      } catch {
        return;
      }
      for (const batch of batches) {
        recent.forget(requestKey(batch.projectId, batch.events.map((event) => event.eventId), scope), message.seq);
      }
    },
  };

  async function convertBatch(batch: IngestBatch): Promise<{ rows: EventRow[]; refused?: IngestBatch; detail: string }> {
    // Events of an erased person received before the erasure's cutoff are dropped, not dead-lettered: a dead
    // letter would keep the personal data the erasure removes.
    const erased = await tombstones.current();
    if (erased.size > 0) {
      const receivedAtMs = batch.receivedAt ? timestampMs(batch.receivedAt) : 0;
      const kept = batch.events.filter((event) => !erased.erased(batch.projectId, event.distinctId, receivedAtMs));
      if (kept.length < batch.events.length) {
        app.metrics.erasedDropped.inc({ table: "events" }, batch.events.length - kept.length);
        batch = create(IngestBatchSchema, { ...batch, events: kept });
      }
    }
    let legacy: ClientLookups | undefined;
    if (needsLegacyClientFacts(batch)) {
      // A message of an older server carries the client IP: derive its facts here. Reading the salt is I/O; a
      // failure throws, and the message waits for it.
      const salt = await salts.forDay(batch.receivedAt ? timestampMs(batch.receivedAt) : Date.now());
      legacy = { geo: lookups.geo, cookielessHash: (input) => hmacHex(salt, input) };
    }
    const { rows, failures } = enrichBatch(batch, { userAgent: lookups.userAgent, legacy });
    if (failures.length === 0) return { rows, detail: "" };
    const failed = new Set(failures.map((failure) => failure.eventId));
    return {
      rows,
      refused: create(IngestBatchSchema, { ...batch, events: batch.events.filter((event) => failed.has(event.eventId)) }),
      detail: failures.map((f) => `${f.eventId}: ${f.reason}`).join("; "),
    };
  }
}
