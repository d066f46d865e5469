// Stream messages by sequence, straight from JetStream, for the ranges a writer must fill itself (a planned range
// after a crash, messages a dead predecessor held or a delivery lost in a reconnect). Only JetStream's definite
// "no message found" means a message is gone; any other failure (a timeout, a reconnect, a leader election) is
// retried until it answers, because taking it for "gone" would write a range without an event never stored.

import { backoffDelay, sleep } from "../domain/backoff.ts";
import type { Nats } from "../infra/nats.ts";
import type { Logger } from "../logger.ts";

export interface StoredMessage {
  seq: number;
  /** The full subject it was published on: a stream may carry several kinds of message, told apart by subject. */
  subject: string;
  data: Uint8Array;
}

/** How many sequence requests are in flight at once: enough to hide the round trip, few enough to be polite. */
const PARALLEL_REQUESTS = 32;

/**
 * The messages `first`..`last` still in `stream` (its full name), in order; sequences JetStream says it does not
 * hold (acknowledged, or removed by the stream's limits) are left out. Resolves early, incomplete, only when
 * `signal` aborts, and then rejects.
 */
export async function readRange(nats: Nats, stream: string, first: number, last: number, signal: AbortSignal, log: Logger): Promise<StoredMessage[]> {
  const found: (StoredMessage | null)[] = new Array(Math.max(0, last - first + 1)).fill(null);
  await inParallel(Array.from(found.keys(), (index) => first + index), async (seq) => {
    const stored = await readOne(nats, stream, seq, signal, log);
    if (stored) found[seq - first] = { seq, subject: stored.subject, data: stored.data };
  });
  return found.filter((message): message is StoredMessage => message !== null);
}

/**
 * Removes written messages that this writer read directly: their pending deliveries (to a writer that died) would
 * otherwise keep them in the stream, counted against its limits, until ack_wait passes and the redelivery is
 * acknowledged. Returns why those that could not be removed now were not: they are acknowledged on redelivery
 * instead, so a failure here costs room in the stream for a while, never an event.
 */
export async function removeWritten(nats: Nats, stream: string, seqs: number[]): Promise<unknown[]> {
  const failures: unknown[] = [];
  await inParallel(seqs, async (seq) => {
    try {
      if (!(await nats.jsm.streams.deleteMessage(stream, seq, false))) failures.push(new Error(`JetStream did not delete ${stream} message ${seq}`));
    } catch (error) {
      failures.push(error);
    }
  });
  return failures;
}

/** How far past the stream's first sequence to look for written messages a predecessor left unacknowledged. */
const LEFTOVER_SCAN_MAX = 10_000;

/**
 * Messages up to the committed sequence still in the stream were written but not acknowledged: by a predecessor
 * that died first, or with acknowledgements lost on their way (`why` says which, for the log). JetStream would keep
 * them until ack_wait ends and redeliver them, and the queue would look fuller than it is. Removes them (only the
 * oldest LEFTOVER_SCAN_MAX sequences are looked at; any beyond are acknowledged on redelivery). A removal that
 * fails is logged: the redelivery is acknowledged instead.
 */
export async function removeCommittedLeftovers(nats: Nats, stream: string, committed: number, signal: AbortSignal, log: Logger, why: string): Promise<void> {
  const { state } = await nats.jsm.streams.info(stream);
  if (state.messages === 0 || state.first_seq > committed) return;
  const last = Math.min(committed, state.first_seq + LEFTOVER_SCAN_MAX - 1);
  const leftovers = await readRange(nats, stream, state.first_seq, last, signal, log);
  if (leftovers.length === 0) return;
  log.info(`removing messages ${why}`, { count: leftovers.length, first: leftovers[0]!.seq, last: leftovers.at(-1)!.seq });
  const failures = await removeWritten(nats, stream, leftovers.map((message) => message.seq));
  if (failures.length > 0) log.warn("some written messages could not be removed now; their redelivery is acknowledged instead", { left: failures.length, error: failures[0] });
}

async function inParallel(seqs: number[], work: (seq: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < seqs.length) await work(seqs[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, seqs.length) }, lane));
}

async function readOne(nats: Nats, stream: string, seq: number, signal: AbortSignal, log: Logger): Promise<{ subject: string; data: Uint8Array } | undefined> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw new Error(`stopped while reading ${stream} message ${seq}`);
    try {
      // The client answers null for JetStream's "no message found" (10037) and rejects everything else.
      const stored = await nats.jsm.streams.getMessage(stream, { seq });
      return stored ? { subject: stored.subject, data: stored.data } : undefined;
    } catch (error) {
      const delay = backoffDelay(attempt, { baseMs: 100, maxMs: 5_000 });
      if (attempt === 1 || attempt % 10 === 0) log.warn("could not read a stream message; retrying", { stream, seq, attempt, retry_in_ms: delay, error });
      await sleep(delay, signal);
    }
  }
}
