// Refuses a publish that would not fit its stream, before JetStream has to. JetStream's own check (discard new
// at max_bytes) underestimates a message's stored size on nats-server 2.9 (and 2.10 until the fix for
// nats-io/nats-server#4771): a message that just fits by that estimate is stored, and then the *oldest* message
// is removed to get back under max_bytes. In a work queue that is an accepted, unprocessed batch.
//
// So each server keeps the stream's size and limit (read every REFRESH_MS) plus what it admitted itself since,
// and turns away a publish that would come within the headroom of max_bytes. One server is exact; several each miss
// only what the others published within the last second, which HEADROOM_SHARE of the limit absorbs. JetStream's
// refusal stays the last line and is answered the same way (queue-full.ts).

import type { Nats } from "../../infra/nats.ts";
import type { Logger } from "../../logger.ts";
import { sleep } from "../../domain/backoff.ts";

const REFRESH_MS = 1_000;
/** Room kept free: a share of max_bytes (other servers' last second), at least one message's overhead. */
const HEADROOM_SHARE = 0.02;
/** Beyond its payload, a stored message holds its subject, Nats-Msg-Id header and record framing (<200 bytes). */
const MESSAGE_OVERHEAD = 512;

export interface QueueRoom {
  /**
   * Undefined when `bytes` more would (nearly) fill the stream; otherwise the room is taken and the returned
   * function must be called once the publish is over, stored or not. Always room while the size is not known.
   */
  admit(stream: string, bytes: number): (() => void) | undefined;
}

interface StreamFill {
  /** Stored as last read, plus everything admitted that may not have been in that read. */
  bytes: number;
  maxBytes: number;
  /** Admitted, publish not over yet. */
  inFlight: number;
  /** Publishes that ended since the current read began: they may have landed after it looked. */
  endedDuringRead: number;
}

/**
 * `streams`: the bare names of the streams to watch, or how to learn them (the events partitions are discovered
 * from NATS, src/infra/event-partition-streams.ts): asked again at every refresh, so partitions added by a migrate
 * are watched without a restart.
 */
export function queueRoom(nats: () => Promise<Nats>, streams: string[] | (() => Promise<string[]>), log: Logger, signal: AbortSignal): QueueRoom {
  const fill = new Map<string, StreamFill>();
  const watch = (names: string[]) => {
    for (const name of names) if (!fill.has(name)) fill.set(name, { bytes: 0, maxBytes: 0, inFlight: 0, endedDuringRead: 0 });
  };
  if (Array.isArray(streams)) watch(streams);

  void (async () => {
    let failing = false;
    while (!signal.aborted) {
      try {
        const connection = await nats();
        if (!Array.isArray(streams)) watch(await streams());
        for (const [base, known] of fill) {
          known.endedDuringRead = 0;
          const info = await connection.jsm.streams.info(connection.names.stream(base));
          // Counted twice rather than not at all: what ended during the read or is still going may be in it.
          known.bytes = info.state.bytes + known.inFlight + known.endedDuringRead;
          known.maxBytes = info.config.max_bytes;
        }
        failing = false;
      } catch (error) {
        // Publishing will fail too and say so; this only means the early refusal is off meanwhile.
        if (!failing) log.warn("cannot read stream sizes; queue-full refusals rest on JetStream alone", { error });
        failing = true;
      }
      await sleep(REFRESH_MS, signal);
    }
  })();

  const noop = () => {};
  return {
    admit(stream, bytes) {
      const known = fill.get(stream);
      if (!known || known.maxBytes <= 0) return noop;
      const size = bytes + MESSAGE_OVERHEAD;
      const headroom = Math.max(MESSAGE_OVERHEAD, known.maxBytes * HEADROOM_SHARE);
      if (known.bytes + size > known.maxBytes - headroom) return undefined;
      known.bytes += size;
      known.inFlight += size;
      return () => {
        known.inFlight -= size;
        known.endedDuringRead += size;
      };
    },
  };
}
