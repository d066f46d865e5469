// The events table as the writer sees it: a queued IngestBatch becomes one enriched row per event.

import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { App } from "../../app/app.ts";
import type { EventRow } from "../../domain/ingest/event-row.ts";
import { isDrop, type StageContext } from "../../domain/ingest/pipeline-types.ts";
import { enrich } from "../../domain/ingest/pipeline.ts";
import { type IngestBatch, IngestBatchSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { Conversion, TableSink } from "../../pipeline/types.ts";
import { hmacHex, type SaltSource } from "./cookieless-salt.ts";

export const EVENTS_STREAM = "events";
export const EVENTS_CONSUMER = "events-worker";

export function eventsSink(app: App, lookups: Pick<StageContext, "userAgent" | "geo">, salts: SaltSource): TableSink<EventRow> {
  const { batchMax, batchMaxBytes, batchWaitMs } = app.config.eventsWorker;
  return {
    table: "events",
    stream: EVENTS_STREAM,
    consumer: EVENTS_CONSUMER,
    limits: { maxRows: batchMax, maxBytes: batchMaxBytes, maxWaitMs: batchWaitMs },
    async convert(message) {
      let batch: IngestBatch;
      try {
        batch = fromBinary(IngestBatchSchema, message.data);
      } catch (error) {
        return { reject: "undecodable", detail: (error as Error).message };
      }
      const receivedAtMs = batch.receivedAt ? timestampMs(batch.receivedAt) : Date.now();
      // Reading the salt is I/O: a failure here throws, and the message waits for it.
      const salt = await salts.forDay(receivedAtMs);
      return enrichBatch(batch, receivedAtMs, { ...lookups, cookielessHash: (input) => hmacHex(salt, input) });
    },
  };
}

/**
 * The rows of one batch. Enrichment is pure, so whatever it throws was caused by the data: the message is
 * rejected with the reason (and dead-lettered) instead of stopping the stream behind it.
 */
function enrichBatch(batch: IngestBatch, receivedAtMs: number, ctx: StageContext): Conversion<EventRow> {
  const request = { projectId: batch.projectId, clientIp: batch.clientIp, userAgent: batch.userAgent, receivedAtMs };
  const rows: EventRow[] = [];
  for (const [index, event] of batch.events.entries()) {
    try {
      const result = enrich(event, request, ctx);
      if (!isDrop(result)) rows.push(result);
    } catch (error) {
      return { reject: "unenrichable", detail: `events[${index}] (${event.eventId}): ${(error as Error).message}` };
    }
  }
  return { rows };
}
