// Reads stream messages by sequence, straight from JetStream, for the ranges a writer must fill itself (a planned
// range after a crash, messages a dead predecessor held). Only JetStream's definite "no message found" means a
// message is gone; any other failure (a timeout, a reconnect, a leader election) is retried until it answers,
// because taking it for "gone" would write a range without an event that was never stored.

import { backoffDelay, sleep } from "../domain/backoff.ts";
import type { Nats } from "../infra/nats.ts";
import type { Logger } from "../logger.ts";

export interface StoredMessage {
  seq: number;
  data: Uint8Array;
}

/** How many sequence look-ups are in flight at once: enough to hide the round trip, few enough to be polite. */
const PARALLEL_READS = 32;

/**
 * The messages `first`..`last` still in `stream` (its full name), in order; sequences JetStream says it does not
 * hold (acknowledged, or removed by the stream's limits) are left out. Resolves early, incomplete, only when
 * `signal` aborts, and then rejects.
 */
export async function readRange(nats: Nats, stream: string, first: number, last: number, signal: AbortSignal, log: Logger): Promise<StoredMessage[]> {
  const found: (StoredMessage | null)[] = new Array(Math.max(0, last - first + 1)).fill(null);
  let next = first;
  const reader = async () => {
    while (next <= last) {
      const seq = next++;
      const data = await readOne(nats, stream, seq, signal, log);
      if (data) found[seq - first] = { seq, data };
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, found.length) }, reader));
  return found.filter((message): message is StoredMessage => message !== null);
}

async function readOne(nats: Nats, stream: string, seq: number, signal: AbortSignal, log: Logger): Promise<Uint8Array | undefined> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw new Error(`stopped while reading ${stream} message ${seq}`);
    try {
      // The client answers null for JetStream's "no message found" (10037) and rejects everything else.
      const stored = await nats.jsm.streams.getMessage(stream, { seq });
      return stored?.data;
    } catch (error) {
      const delay = backoffDelay(attempt, { baseMs: 100, maxMs: 5_000 });
      if (attempt === 1 || attempt % 10 === 0) log.warn("could not read a stream message; retrying", { stream, seq, attempt, retry_in_ms: delay, error });
      await sleep(delay, signal);
    }
  }
}
