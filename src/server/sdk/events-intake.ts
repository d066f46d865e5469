// The intake of one BatchCreate: decode, validate, the per-project limit, drops, then group commit. A reply with
// `accepted: n` means n events are stored in JetStream; nothing is acknowledged before that. A request's kept
// events go whole to the partition of its first kept event's person and share a message with concurrent requests
// (group-commit.ts). Called by the Connect service (events-service.ts) and by the fast path for binary requests
// (batch-create-fast.ts); the caller has been authenticated and the per-IP limit taken before.

import { toBinary } from "@bufbuild/protobuf";
import type { Metrics } from "../../app/metrics.ts";
import { type DropReason, intakeDropReason } from "../../domain/ingest/drop-reasons.ts";
import { decodeBatchCreateRequest } from "../../domain/ingest/event-decoder.ts";
import { partitionOf, partitionStream } from "../../domain/ingest/event-partitions.ts";
import { encodeBatch, requestEventBytes } from "../../domain/ingest/ingest-frames.ts";
import { validateBatch } from "../../domain/ingest/validate-batch.ts";
import { type Event, EventSchema } from "../../gen/sdk/events/v1/events_pb.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Logger } from "../../logger.ts";
import type { Caller } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { ClientFactsSource } from "./client-facts-source.ts";
import type { GroupCommit } from "./group-commit.ts";
import { MessageTooLarge } from "./ingest-publisher.ts";
import { queueFull, refuseQueueing } from "./queue-full.ts";
import type { QueueRoom } from "./queue-room.ts";
import { enforceRateLimit, type RateLimiter } from "./rate-limiter.ts";

export interface IntakeDeps {
  limiter: RateLimiter;
  room: QueueRoom;
  nats: () => Promise<Nats>;
  metrics: Metrics;
  log: Logger;
  limits: { projectEventsPerSecond: number; projectIdentifyPerSecond: number };
  /** Geo and cookieless visitor hash from the client IP: only these are queued, never the IP. */
  clientFacts: ClientFactsSource;
  /** How many partitions the events stream has (event-partitions.ts). */
  partitions: () => Promise<number>;
  groups: GroupCommit;
}

export interface EventsCall {
  caller: Caller;
  clientIp: string;
  userAgent: string;
  /** A binary BatchCreateRequest as received (decoded here), or the events Connect decoded from JSON. */
  request: { body: Uint8Array } | { events: Event[] };
}

/** A BatchCreateResponse. */
export interface EventsOutcome {
  accepted: number;
  dropped: number;
  droppedByReason: Record<string, number>;
}

/** Throws a ConnectError for every refusal (invalid batch, project limit, queue full or unavailable). */
export async function intakeEvents(deps: IntakeDeps, call: EventsCall): Promise<EventsOutcome> {
  const { projectId } = call.caller;
  const body = "body" in call.request ? call.request.body : undefined;
  const events = body ? decodeBody(body) : (call.request as { events: Event[] }).events;
  const problems = validateBatch(events);
  if (problems.length > 0) throw new ConnectError(problems.join("; "), Code.InvalidArgument);
  await enforceRateLimit(deps.limiter, `project:${projectId}`, deps.limits.projectEventsPerSecond, events.length, "events for this project");

  const now = Date.now();
  const kept: Event[] = [];
  /** Where each kept event was in the request, for errors that name it. */
  const keptAt: number[] = [];
  let cookieless = false;
  const dropped: Partial<Record<DropReason, number>> = {};
  events.forEach((event, index) => {
    const reason = intakeDropReason(event, projectId, now);
    if (reason) dropped[reason] = (dropped[reason] ?? 0) + 1;
    else {
      kept.push(event);
      keptAt.push(index);
      cookieless ||= event.cookieless;
    }
  });

  if (kept.length > 0) {
    let done: (() => void) | undefined;
    try {
      const client = await deps.clientFacts(projectId, call.clientIp, call.userAgent, cookieless, now);
      const first = kept[0]!;
      const stream = partitionStream(partitionOf(projectId, first.cookieless ? client.visitorHash : first.distinctId, await deps.partitions()));
      const envelope = { projectId, client, userAgent: call.userAgent, receivedAt: now };
      const keptBytes = keptEventBytes(body, events, kept, keptAt);
      const batch = encodeBatch(envelope, keptBytes);
      done = deps.room.admit(stream, batch.byteLength);
      if (!done) throw queueFull(deps, "event");
      await deps.groups.commit(stream, { envelope, events: keptBytes, eventIds: kept.map((event) => event.eventId), batch });
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      if (error instanceof MessageTooLarge) throw new ConnectError(`events[${keptAt[error.index]}]: ${error.message}`, Code.InvalidArgument);
      throw refuseQueueing(deps, "event", error, { project_id: projectId, events: kept.length });
    } finally {
      done?.();
    }
  }

  deps.metrics.intakeEvents.inc({ outcome: "accepted", reason: "" }, kept.length);
  for (const [reason, count] of Object.entries(dropped)) deps.metrics.intakeEvents.inc({ outcome: "dropped", reason }, count);
  return { accepted: kept.length, dropped: events.length - kept.length, droppedByReason: dropped as Record<string, number> };
}

/** The events of a binary BatchCreateRequest; a body that is not one is refused as Connect refuses it. */
function decodeBody(body: Uint8Array): Event[] {
  try {
    return decodeBatchCreateRequest(body).events;
  } catch (error) {
    throw new ConnectError(`request body: parse binary: ${(error as Error).message}`, Code.InvalidArgument);
  }
}

/**
 * Each kept event as the queue stores it: sliced from the binary request body as the SDK sent it, or (a JSON
 * request, or a body whose events do not line up with the decoded ones) encoded once from the decoded event.
 */
function keptEventBytes(body: Uint8Array | undefined, all: Event[], kept: Event[], keptAt: number[]): Uint8Array[] {
  const sent = body ? requestEventBytes(body) : undefined;
  if (sent?.length === all.length) return keptAt.map((index) => sent[index]!);
  return kept.map((event) => toBinary(EventSchema, event));
}
