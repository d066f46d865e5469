// Group commit: concurrent BatchCreate requests bound for the same partition stream share one JetStream message.
// Per stream (domain/ingest/group-pacing.ts): a request after a quiet spell is published at once; otherwise requests
// wait and go out together when a publish in flight completes or after a short wait, but a stream starts a group
// that is not full at most every few milliseconds, so a busy stream's requests share messages. A group holds up to
// GROUP_MAX_BYTES (a request larger than that goes alone; one larger than a message is split). Each
// request is answered only once the message holding it is stored (ack-after-durable); when that publish fails, every
// request in it gets the same error and the SDKs retry.
//
// Deduplication. A group's msgID is a hash of the project and event ids of every request in it, so JetStream's
// duplicate window drops a group published twice — but an SDK's retry of one request lands in whatever group forms
// at that moment, with other requests beside it, and so under another msgID. If the first publish was in fact
// stored (a timeout after JetStream stored it, a reply lost in a reconnect, a server killed with groups in flight),
// the retry is queued a second time. A request always goes to the same partition, and the events worker drops a
// request it stored within the last 2 minutes (src/domain/ingest/recent-requests.ts, which says when a repeat
// still gets through), so the events table and the views fed by its inserts (usage, profile activity and days)
// see it once.
// A request too large for one message is split and its parts published alone, each under a msgID derived from its
// own events, as before group commit: a retry of such a request is deduplicated by JetStream itself.

import { encodeBatch, encodeGroup, GROUP_FRAMING_BYTES, GROUP_SUBJECT, type BatchEnvelope } from "../../domain/ingest/ingest-frames.ts";
import { groupStartsNow, nextLookAt, type StreamPace } from "../../domain/ingest/group-pacing.ts";
import { takeGroup } from "../../domain/ingest/group-take.ts";
import type { Nats } from "../../infra/nats.ts";
import { MessageTooLarge, queueMessageLimit } from "./ingest-publisher.ts";

/**
 * A group stops taking requests at this size, well under a message's limit: a larger message only delays the
 * requests in it (their answers wait for all of it to be stored) and gains nothing per byte.
 */
const GROUP_MAX_BYTES = 256 * 1024;

/** One request's events, encoded for the queue. */
export interface QueuedRequest {
  envelope: BatchEnvelope;
  /** Each event as encoded (sdk.events.v1.Event), in request order. */
  events: Uint8Array[];
  eventIds: string[];
  /** encodeBatch(envelope, events). */
  batch: Uint8Array;
}

export interface GroupCommit {
  /** Resolves once `request` is stored in `stream` (a bare partition stream name); rejects with the publish's error. */
  commit(stream: string, request: QueuedRequest): Promise<void>;
}

interface Waiting {
  request: QueuedRequest;
  bytes: number;
  /** When it began to wait (performance.now()): it gives up after the publish timeout, as its publish would have. */
  queuedAt: number;
  stored: () => void;
  failed: (error: unknown) => void;
}

/** A stream's queue; its times are performance.now()'s. */
interface StreamQueue extends StreamPace {
  subject: string;
  nats: Nats;
  waiting: Waiting[];
  timer?: ReturnType<typeof setTimeout>;
  /** When the timer fires. */
  timerAt: number;
}

export function groupCommit(nats: () => Promise<Nats>, timeoutMs = 3_000): GroupCommit {
  const queues = new Map<string, StreamQueue>();

  const launch = (queue: StreamQueue) => {
    const group = queue.waiting.splice(0, takeGroup(queue.waiting, groupLimit(queue.nats)));
    for (const entry of group) queue.waitingBytes -= entry.bytes + GROUP_FRAMING_BYTES;
    queue.inFlight++;
    const body = encodeGroup(group.map((entry) => entry.request.batch));
    queue.nats.js
      .publish(queue.subject, body, { msgID: messageId(group.map((entry) => entry.request)), timeout: timeoutMs })
      .then(
        () => {
          for (const entry of group) entry.stored();
        },
        (error) => {
          for (const entry of group) entry.failed(error);
        },
      )
      .finally(() => {
        queue.inFlight--;
        pump(queue, true);
      });
  };

  /**
   * Sends what may go now: at once when idle, when a message is full, or (`due`) after a completion or the wait.
   * A request that waited as long as a publish may take (every slot held by publishes that hang: NATS stalled) is
   * refused, retryably, rather than answered after its client gave up and sent it again.
   */
  const pump = (queue: StreamQueue, due: boolean) => {
    const now = performance.now();
    while (queue.waiting.length > 0 && now - queue.waiting[0]!.queuedAt >= timeoutMs) {
      const expired = queue.waiting.shift()!;
      queue.waitingBytes -= expired.bytes + GROUP_FRAMING_BYTES;
      expired.failed(new Error(`waited ${timeoutMs} ms for a publish to the queue to end; nothing of this request was queued`));
    }
    const limit = groupLimit(queue.nats);
    while (queue.waiting.length > 0 && groupStartsNow(queue, now, due, limit)) {
      launch(queue);
      queue.launchedAt = now;
      due = false;
    }
    const wakeAt = queue.waiting.length === 0 ? undefined : nextLookAt(queue, now, queue.waiting[0]!.queuedAt, timeoutMs);
    if (queue.timer && (wakeAt === undefined || wakeAt < queue.timerAt)) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
    if (wakeAt !== undefined && !queue.timer) {
      queue.timerAt = wakeAt;
      queue.timer = setTimeout(() => {
        queue.timer = undefined;
        pump(queue, true);
      }, Math.max(1, wakeAt - now));
    }
  };

  return {
    async commit(stream, request) {
      const connection = await nats();
      const limit = queueMessageLimit(connection);
      if (request.batch.byteLength + GROUP_FRAMING_BYTES > limit) return publishSplit(connection, stream, request, limit, timeoutMs);
      let queue = queues.get(stream);
      if (!queue) queues.set(stream, (queue = { subject: connection.names.subject(stream, GROUP_SUBJECT), nats: connection, waiting: [], waitingBytes: 0, inFlight: 0, timerAt: 0, launchedAt: -Infinity }));
      queue.nats = connection;
      const bytes = request.batch.byteLength;
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      queue.waiting.push({ request, bytes, queuedAt: performance.now(), stored: resolve, failed: reject });
      queue.waitingBytes += bytes + GROUP_FRAMING_BYTES;
      pump(queue, false);
      return promise;
    },
  };
}

const groupLimit = (nats: Nats) => Math.min(GROUP_MAX_BYTES, queueMessageLimit(nats));

/**
 * A request too large for one message, halved until its parts fit, each part published alone. If any part fails the
 * request fails, and the SDK's retry sends every part again under the same msgIDs, which JetStream deduplicates.
 */
async function publishSplit(nats: Nats, stream: string, request: QueuedRequest, limit: number, timeoutMs: number): Promise<void> {
  const parts: QueuedRequest[] = [];
  const split = (first: number, end: number) => {
    const events = request.events.slice(first, end);
    const batch = encodeBatch(request.envelope, events);
    if (batch.byteLength + GROUP_FRAMING_BYTES <= limit) parts.push({ ...request, events, eventIds: request.eventIds.slice(first, end), batch });
    else if (end - first === 1) throw new MessageTooLarge(first, batch.byteLength, limit);
    else {
      const half = first + Math.ceil((end - first) / 2);
      split(first, half);
      split(half, end);
    }
  };
  split(0, request.events.length);
  const subject = nats.names.subject(stream, GROUP_SUBJECT);
  await Promise.all(parts.map((part) => nats.js.publish(subject, encodeGroup([part.batch]), { msgID: messageId([part]), timeout: timeoutMs })));
}

/** The content-derived id of a message holding `requests`: the same requests in the same order, the same id. */
function messageId(requests: QueuedRequest[]): string {
  const hasher = new Bun.CryptoHasher("sha256");
  for (const request of requests) {
    hasher.update(request.envelope.projectId);
    for (const id of request.eventIds) hasher.update("\n").update(id.toLowerCase());
    hasher.update("\n\n");
  }
  return hasher.digest("hex").slice(0, 40);
}
