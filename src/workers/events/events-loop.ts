// The events worker's loop. Messages are written in stream order: each write covers the contiguous range after
// the committed sequence, so after any crash the worker resumes exactly where the checkpoint says and a range
// planned but not committed is written again identically (ClickHouse drops the repeat by its token).
// Messages are acknowledged only after the range holding them is committed.

import type { App } from "../../app/app.ts";
import { checkpointStore } from "./checkpoints.ts";
import type { SaltSource } from "../../infra/cookieless-salt.ts";
import { acquireLeadership } from "./leadership.ts";
import { type Item, toItem, writeRange, type WriterDeps } from "./range-writer.ts";

export const EVENTS_STREAM = "events";
export const EVENTS_CONSUMER = "events-worker";
// Small pulls let a write start as soon as PUG_EVENTS_BATCH_MAX events are held.
const FETCH_MAX_MESSAGES = 200;

export async function runEventsLoop(app: App, signal: AbortSignal, lookups: WriterDeps["lookups"], salts: SaltSource): Promise<void> {
  const log = app.log.child({ role: "events" });
  const nats = await app.nats();
  const streamName = nats.names.stream(EVENTS_STREAM);
  const leadership = await acquireLeadership(app.postgres(), `pug events-worker ${streamName}`, signal, log);
  if (!leadership) return;
  try {
    const checkpoints = checkpointStore(leadership.conn, `${streamName}/${EVENTS_CONSUMER}`);
    const deps: WriterDeps = { app, nats, stream: EVENTS_STREAM, salts, lookups, signal };
    const directRange = async (first: number, last: number): Promise<Item[]> => {
      const items: Item[] = [];
      for (let seq = first; seq <= last; seq++) {
        const stored = await nats.jsm.streams.getMessage(streamName, { seq }).catch(() => null);
        // Gone from a work-queue stream means acknowledged, which happens only after a commit: nothing to write.
        if (stored) items.push(toItem(seq, stored.data));
      }
      return items;
    };

    let { committed, plannedFirst, plannedLast } = await checkpoints.load();
    if (plannedLast > committed) {
      log.info("replaying the range planned before the last stop", { first: plannedFirst, last: plannedLast, committed });
      const items = await directRange(Math.max(plannedFirst, committed + 1), plannedLast);
      if (items.length > 0) await writeRange(items, deps, checkpoints);
      else await checkpoints.commit(plannedLast);
      committed = plannedLast;
    }

    const consumer = await nats.js.consumers.get(streamName, EVENTS_CONSUMER);
    // Messages delivered to a predecessor that died are redelivered only after ack_wait. Being the only active
    // worker, write them now, straight from the stream; their redeliveries are then acknowledged unread.
    const deliveredBefore = (await consumer.info()).delivered.stream_seq;
    while (committed < deliveredBefore && !signal.aborted) {
      const last = Math.min(committed + FETCH_MAX_MESSAGES, deliveredBefore);
      const items = await directRange(committed + 1, last);
      if (items.length > 0) await writeRange(items, deps, checkpoints);
      else await checkpoints.commit(last);
      committed = last;
    }
    if (deliveredBefore > 0) log.info("caught up with messages delivered before this start", { up_to: deliveredBefore });

    const held = new Map<number, Item>();
    let heldEvents = 0;
    let oldestHeld = 0;
    const { batchMax, batchWaitMs } = app.config.eventsWorker;

    const flush = async () => {
      const lowest = Math.min(...held.keys());
      // Messages delivered to a worker that died come back only after ack_wait; read the gap directly instead.
      const gap = lowest > committed + 1 ? await directRange(committed + 1, lowest - 1) : [];
      const range: Item[] = [...gap];
      for (let next = lowest; held.has(next); next++) range.push(held.get(next)!);
      if (range.length === 0) return;
      await writeRange(range, deps, checkpoints);
      committed = range.at(-1)!.seq;
      for (const item of range) {
        item.ack?.();
        if (held.delete(item.seq)) heldEvents -= item.batch?.events.length ?? 0;
      }
      oldestHeld = held.size > 0 ? Date.now() : 0;
    };

    while (!signal.aborted) {
      const wait = oldestHeld ? Math.max(50, batchWaitMs - (Date.now() - oldestHeld)) : batchWaitMs;
      // JetStream pulls wait at least a second; batches fill faster than that under load anyway.
      const messages = await consumer.fetch({ max_messages: FETCH_MAX_MESSAGES, expires: Math.max(1_000, Math.min(wait, 5_000)) });
      for await (const message of messages) {
        if (message.seq <= committed) {
          message.ack();
          continue;
        }
        if (held.has(message.seq)) continue;
        const item = toItem(message.seq, message.data, () => message.ack(), () => message.working());
        held.set(message.seq, item);
        heldEvents += item.batch?.events.length ?? 0;
        if (!oldestHeld) oldestHeld = Date.now();
      }
      if (held.size > 0 && (heldEvents >= batchMax || Date.now() - oldestHeld >= batchWaitMs)) await flush();
    }
    // Stopping: write what is held if ClickHouse takes it within the grace period; otherwise it stays
    // unacknowledged in JetStream and the next worker writes it.
    if (held.size > 0) await flush().catch((error) => log.warn("could not write held events before stopping; they stay queued", { error }));
  } finally {
    await leadership.release();
  }
}
