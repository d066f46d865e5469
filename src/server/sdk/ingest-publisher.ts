// Puts validated events on JetStream and resolves only once JetStream has stored them. Each message gets an id
// derived from its content, so a batch the SDK sends again is stored once (JetStream's duplicate window).
// Batches larger than the server's max_payload are split; if any part fails the whole call fails and the SDK's
// retry re-sends every part, which the message ids make harmless.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { IngestBatchSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import type { Nats } from "../../infra/nats.ts";

export interface IngestContext {
  projectId: string;
  clientIp: string;
  userAgent: string;
  receivedAt: number;
}

/** Room left in a NATS message for the batch's own fields and JetStream's headers. */
const HEADROOM = 8 * 1024;

export async function publishEvents(nats: Nats, events: Event[], context: IngestContext, timeoutMs = 3_000): Promise<void> {
  const maxPayload = (nats.connection.info?.max_payload ?? 1024 * 1024) - HEADROOM;
  const subject = nats.names.subject("events", "ingest");
  // Encode the whole batch once; only a batch too large for one message is halved until its parts fit.
  const parts: { events: Event[]; body: Uint8Array }[] = [];
  const split = (part: Event[]) => {
    const body = encode(part, context);
    if (body.byteLength <= maxPayload || part.length === 1) parts.push({ events: part, body });
    else {
      const half = Math.ceil(part.length / 2);
      split(part.slice(0, half));
      split(part.slice(half));
    }
  };
  split(events);
  await Promise.all(parts.map((part) => nats.js.publish(subject, part.body, { msgID: messageId(context.projectId, part.events), timeout: timeoutMs })));
}

function encode(events: Event[], context: IngestContext): Uint8Array {
  const batch = create(IngestBatchSchema, {
    projectId: context.projectId,
    receivedAt: timestampFromMs(context.receivedAt),
    clientIp: context.clientIp,
    userAgent: context.userAgent,
    events,
  });
  return toBinary(IngestBatchSchema, batch);
}

function messageId(projectId: string, events: Event[]): string {
  const hasher = new Bun.CryptoHasher("sha256").update(projectId);
  for (const event of events) hasher.update("\n").update(event.eventId.toLowerCase());
  return hasher.digest("hex").slice(0, 40);
}
