// The events worker's enrichment, in order. The list is the documentation: each stage is a pure function in
// ./stages, tested on its own with plain data.

import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { IngestBatch } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import { type ClientFactsInit, deriveClientFacts } from "./client-facts.ts";
import type { EventRow } from "./event-row.ts";
import { newWorkingEvent } from "./new-row.ts";
import { type ClientLookups, type Drop, isDrop, type RequestFacts, type Stage, type StageContext } from "./pipeline-types.ts";
import { putChannel } from "./stages/put-channel.ts";
import { putCookielessIds } from "./stages/put-cookieless-ids.ts";
import { putGeo } from "./stages/put-geo.ts";
import { putPageFacts } from "./stages/put-page-facts.ts";
import { putReferrer } from "./stages/put-referrer.ts";
import { putUrl } from "./stages/put-url.ts";
import { putUserAgent } from "./stages/put-user-agent.ts";

export const stages: [name: string, stage: Stage][] = [
  ["putCookielessIds", putCookielessIds],
  ["putUserAgent", putUserAgent],
  ["putGeo", putGeo],
  ["putUrl", putUrl],
  ["putReferrer", putReferrer],
  ["putChannel", putChannel],
  ["putPageFacts", putPageFacts],
];

export function enrich(event: Event, request: RequestFacts, ctx: StageContext): EventRow | Drop {
  let working = newWorkingEvent(event, request);
  for (const [, stage] of stages) {
    const next = stage(working, ctx);
    if (isDrop(next)) return next;
    working = next;
  }
  return working.row;
}

/** An event the worker could not turn into a row, with why; the caller dead-letters its message. */
export interface EnrichFailure {
  eventId: string;
  reason: string;
}

export interface BatchContext extends StageContext {
  /** Derives client facts for a message queued by an older server, which carried the raw IP instead. */
  legacy?: ClientLookups;
}

/**
 * Every event of one queued batch as rows. Never throws: an event that cannot be enriched (data intake should
 * have refused, or a message from an older server) becomes a failure, and the other events still become rows.
 */
export function enrichBatch(batch: IngestBatch, ctx: BatchContext): { rows: EventRow[]; failures: EnrichFailure[] } {
  const rows: EventRow[] = [];
  const failures: EnrichFailure[] = [];
  let request: RequestFacts;
  try {
    request = requestFactsOf(batch, ctx.legacy);
  } catch (error) {
    return { rows, failures: batch.events.map((event) => ({ eventId: event.eventId, reason: reasonOf(error) })) };
  }
  for (const event of batch.events) {
    try {
      const result = enrich(event, request, ctx);
      if (!isDrop(result)) rows.push(result);
    } catch (error) {
      failures.push({ eventId: event.eventId, reason: reasonOf(error) });
    }
  }
  return { rows, failures };
}

/** Whether `batch` came from a server that queued the raw client IP rather than facts derived from it. */
export function needsLegacyClientFacts(batch: IngestBatch): boolean {
  return batch.client === undefined && batch.clientIp !== "";
}

function requestFactsOf(batch: IngestBatch, legacy: ClientLookups | undefined): RequestFacts {
  if (!batch.receivedAt) throw new Error("batch has no received_at");
  const receivedAtMs = timestampMs(batch.receivedAt);
  let client: ClientFactsInit | undefined = batch.client;
  if (!client && needsLegacyClientFacts(batch)) {
    if (!legacy) throw new Error("batch carries a client IP but no lookups were given to derive its facts");
    client = deriveClientFacts(batch.projectId, batch.clientIp, batch.userAgent, true, legacy);
  }
  const geo = { country: client?.country ?? "", region: client?.region ?? "", city: client?.city ?? "" };
  return { projectId: batch.projectId, userAgent: batch.userAgent, receivedAtMs, geo, visitorHash: client?.visitorHash ?? "" };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
