// The events waiting in a stack's events stream, read message by message in either queue format.

import { readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";
import type { Nats } from "../../src/infra/nats.ts";

/** Each queued event id with the sequence of its message and how many requests that message holds. */
export async function queuedEvents(nats: Nats, bareStream = "events"): Promise<Map<string, { seq: number; requests: number }>> {
  const stream = nats.names.stream(bareStream);
  const { state } = await nats.jsm.streams.info(stream);
  const found = new Map<string, { seq: number; requests: number }>();
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    // null for a message already gone (JetStream's "no message found"); anything else is an error.
    const message = await nats.jsm.streams.getMessage(stream, { seq });
    if (!message) continue;
    const batches = readQueuedBatches(message.data, message.subject);
    for (const batch of batches) for (const event of batch.events) found.set(event.eventId, { seq, requests: batches.length });
  }
  return found;
}
