// The queue format of servers before group commit (one IngestBatch per message on `events.ingest`): intake now
// queues through group-commit.ts, and the worker still reads this format; publishEvents stays so tests can queue
// such messages the way an older server did. queueMessageLimit and MessageTooLarge serve every publisher.
//
// Puts validated events on JetStream and resolves only once JetStream has stored them. Each message gets an id
// derived from its content, so a batch the SDK sends again is stored once (JetStream's duplicate window).
// Batches larger than the server's max_payload are split; if any part fails the whole call fails and the SDK's
// retry re-sends every part, which the message ids make harmless. A single event too large for one message is
// refused before anything is published: retrying it could never succeed.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ClientFactsInit } from "../../domain/ingest/client-facts.ts";
import { IngestBatchSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import type { Nats } from "../../infra/nats.ts";

export interface IngestContext {
  projectId: string;
  /** Derived from the client IP, which is never queued. */
  client: ClientFactsInit;
  userAgent: string;
  receivedAt: number;
}

/** Room left in a NATS message for the batch's own fields and JetStream's headers. */
const HEADROOM = 8 * 1024;

/** The largest body one queued message may have on this NATS server. */
export function queueMessageLimit(nats: Nats): number {
  return (nats.connection.info?.max_payload ?? 1024 * 1024) - HEADROOM;
}

/** One item (an event, an identify call) cannot fit in a queued message, however it is split. */
export class MessageTooLarge extends Error {
  constructor(
    readonly index: number,
    bytes: number,
    limit: number,
  ) {
    super(`${bytes} bytes encoded, more than the ${limit} bytes one queued message holds (NATS max_payload less headers); send less data in it`);
  }
}

export async function publishEvents(nats: Nats, events: Event[], context: IngestContext, timeoutMs = 3_000): Promise<void> {
  const maxPayload = queueMessageLimit(nats);
  const subject = nats.names.subject("events", "ingest");
  // Encode the whole batch once; only a batch too large for one message is halved until its parts fit.
  const parts: { events: Event[]; body: Uint8Array }[] = [];
  const split = (part: Event[], offset: number) => {
    const body = encode(part, context);
    if (body.byteLength <= maxPayload) parts.push({ events: part, body });
    else if (part.length === 1) throw new MessageTooLarge(offset, body.byteLength, maxPayload);
    else {
      const half = Math.ceil(part.length / 2);
      split(part.slice(0, half), offset);
      split(part.slice(half), offset + half);
    }
  };
  split(events, 0);
  await Promise.all(parts.map((part) => nats.js.publish(subject, part.body, { msgID: messageId(context.projectId, part.events), timeout: timeoutMs })));
}

function encode(events: Event[], context: IngestContext): Uint8Array {
  const batch = create(IngestBatchSchema, {
    projectId: context.projectId,
    receivedAt: timestampFromMs(context.receivedAt),
    userAgent: context.userAgent,
    client: context.client,
    events,
  });
  return toBinary(IngestBatchSchema, batch);
}

function messageId(projectId: string, events: Event[]): string {
  const hasher = new Bun.CryptoHasher("sha256").update(projectId);
  for (const event of events) hasher.update("\n").update(event.eventId.toLowerCase());
  return hasher.digest("hex").slice(0, 40);
}
