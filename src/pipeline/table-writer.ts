// The one writer from a JetStream stream to a ClickHouse table, used by every worker that stores rows.
//
// Messages are written in stream order: each write covers the contiguous range after the committed sequence, is
// recorded in the ledger as planned before its insert and as committed after it, and only then are its messages
// acknowledged. After any crash the writer resumes where the ledger says, and a range planned but not committed
// is written again identically (ClickHouse drops the repeat by its token). Two loops share the held messages:
// the fetch loop pulls and converts while the write loop's insert is in flight; memory stays bounded because
// fetching pauses while twice a write's worth is held (./pull-sizing.ts). One writer per stream is active (a Postgres advisory lock);
// others wait as standbys, or (the events partitions) a lease holder runs the writer under a lock it took itself.

import { type Consumer, JetStreamError, type JsMsg } from "@nats-io/jetstream";
import type { ReservedSql } from "postgres";
import type { App } from "../app/app.ts";
import { backoffDelay, sleep } from "../domain/backoff.ts";
import { isJetStreamNotFound, type Nats } from "../infra/nats.ts";
import type { Logger } from "../logger.ts";
import { HeldMessages } from "./held-messages.ts";
import { acquireLeadership } from "./leadership.ts";
import { type Ledger, ledger as ledgerOf } from "./ledger.ts";
import { PullSizing } from "./pull-sizing.ts";
import { readRange, removeCommittedLeftovers, removeWritten, type StoredMessage } from "./stream-messages.ts";
import { encodedConversion, type HeldMessage, heldBytes, rowCount, type TableSink } from "./types.ts";
import { Wakeup } from "./wakeup.ts";
import { writeRange } from "./write-range.ts";

/** Messages read straight from the stream per step while filling a gap. */
const DIRECT_READ_CHUNK = 500;
/** Under JetStream's ack_wait (60 s), so held messages are never redelivered while we still work on them. */
const KEEP_ALIVE_MS = 15_000;
/** While idle, how often to ask whether messages were delivered elsewhere (see #probeTail). */
const TAIL_PROBE_MS = 3_000;

export async function runTableWriter<Row>(app: App, sink: TableSink<Row>, signal: AbortSignal): Promise<void> {
  const log = app.log.child({ table: sink.table, stream: sink.stream });
  const nats = await app.nats();
  const stream = nats.names.stream(sink.stream);
  const leadership = await acquireLeadership(app.postgres(), writerLockName(sink, stream), signal, log);
  if (!leadership) return;
  try {
    await new TableWriter(app, nats, sink, ledgerOf(leadership.conn, `${stream}/${sink.consumer}`), log, signal).run();
  } finally {
    await leadership.release();
  }
}

/**
 * A delivered message's data is a view into the socket read it arrived in (nats.js does not copy), so holding the
 * view holds that whole read, often many messages' worth: the held bytes counted would not bound memory. A copy
 * of just the message lets the read go.
 */
function ownBytes(data: Uint8Array): Uint8Array {
  return data.byteLength === data.buffer.byteLength ? data : data.slice();
}

/** The advisory lock that makes a stream's writer the only one (`stream`: its full name). */
export const writerLockName = (sink: Pick<TableSink<unknown>, "consumer">, stream: string) => `pug ${sink.consumer} ${stream}`;

/**
 * Runs the writer of `sink` under its lock, already held on `conn`. When `handOver` fires the writer finishes the
 * write in flight and returns, leaving what it holds unacknowledged: the ledger tells the next holder of the lock
 * where to go on, and it reads those messages straight from the stream. `signal` stops it as runTableWriter does.
 */
export async function runLockedTableWriter<Row>(app: App, sink: TableSink<Row>, conn: ReservedSql, signal: AbortSignal, handOver: AbortSignal): Promise<void> {
  const nats = await app.nats();
  const stream = nats.names.stream(sink.stream);
  const log = app.log.child({ table: sink.table, stream: sink.stream });
  await new TableWriter(app, nats, sink, ledgerOf(conn, `${stream}/${sink.consumer}`), log, signal, handOver).run();
}

/** The consumer or its stream no longer exists: no retry brings it back, so the role restarts and says why. */
function consumerGone(error: unknown): boolean {
  return isJetStreamNotFound(error, "consumer") || (error instanceof JetStreamError && /\b(consumer|stream) deleted\b/i.test(error.message));
}

class TableWriter<Row> {
  readonly #held: HeldMessages<Row>;
  /** Delivered messages being converted now: not held yet, and not to be read directly meanwhile. */
  readonly #converting = new Set<number>();
  readonly #wakeWriter = new Wakeup();
  readonly #wakeFetcher = new Wakeup();
  /** Aborts both loops: the role is stopping, or one loop failed and the other must not go on alone. */
  readonly #stop = new AbortController();
  readonly #stream: string;
  #committed = 0;
  readonly #pulls: PullSizing;
  /** Messages up to here were delivered to someone else (before this writer started): read them directly. */
  #deliveredBefore = 0;
  #consumer: Consumer | undefined;
  /** Ends the pull in progress, if any. */
  #stopPulling: (() => void) | undefined;
  #lastProbe = Date.now();
  /** The consumer's ack floor at the last idle probe (-1: not idle then). */
  #ackFloorBefore = -1;

  constructor(
    private readonly app: App,
    private readonly nats: Nats,
    private readonly sink: TableSink<Row>,
    private readonly ledger: Ledger,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly handOver?: AbortSignal,
  ) {
    this.#stream = nats.names.stream(sink.stream);
    this.#held = new HeldMessages<Row>(sink.budget);
    this.#pulls = new PullSizing(sink.limits, sink.budget);
  }

  /** No new pull or write starts: the role stops, or the lock is being handed over. */
  get #winding(): boolean {
    return this.#stop.signal.aborted || this.handOver?.aborted === true;
  }

  async run(): Promise<void> {
    this.#stop.signal.addEventListener("abort", () => {
      this.#wakeWriter.notify();
      this.#wakeFetcher.notify();
    });
    // The role may have been asked to stop while this writer was starting: an abort event already fired.
    const stopLoops = () => this.#stop.abort();
    if (this.signal.aborted) stopLoops();
    else this.signal.addEventListener("abort", stopLoops, { once: true });
    // Handing over: the write in flight goes on (its signal is #stop's); the loops end after it.
    const windDown = () => {
      this.#wakeWriter.notify();
      this.#wakeFetcher.notify();
      this.#stopPulling?.();
    };
    this.handOver?.addEventListener("abort", windDown, { once: true });
    const keepAlive = setInterval(() => {
      for (const message of this.#held.values()) message.working?.();
    }, KEEP_ALIVE_MS);
    // Room freed by another partition's write may be room for this writer's next fetch.
    const stopListening = this.sink.budget?.onRelease(() => this.#wakeFetcher.notify());
    try {
      await this.#replayPlanned();
      await removeCommittedLeftovers(this.nats, this.#stream, this.#committed, this.#stop.signal, this.log, "written before this start but never acknowledged");
      const consumer = await this.nats.js.consumers.get(this.#stream, this.sink.consumer);
      this.#consumer = consumer;
      this.#deliveredBefore = (await consumer.info()).delivered.stream_seq;
      if (this.#deliveredBefore > this.#committed) {
        this.log.info("writing messages delivered before this start", { from: this.#committed + 1, to: this.#deliveredBefore });
      }
      const loops = [this.#fetchLoop(consumer), this.#writeLoop()].map((loop) => loop.catch((error) => {
        this.#stop.abort();
        throw error;
      }));
      await Promise.all(loops);
      if (this.signal.aborted) await this.#finalWrite();
    } finally {
      clearInterval(keepAlive);
      this.signal.removeEventListener("abort", stopLoops);
      this.handOver?.removeEventListener("abort", windDown);
      stopListening?.();
      // What is still held was not acknowledged: it stays queued for whoever writes this stream next.
      this.#held.clear();
      this.#reportHeld();
    }
  }

  /** A range planned before the last stop is written again exactly, under the same token. */
  async #replayPlanned(): Promise<void> {
    const { committed, plannedFirst, plannedLast } = await this.ledger.load();
    this.#committed = committed;
    if (plannedLast <= committed) return;
    this.log.info("writing again the range planned before the last stop", { first: plannedFirst, last: plannedLast, committed });
    const messages = await this.#readDirect(plannedFirst, plannedLast, this.#stop.signal);
    await writeRange(messages, plannedFirst, plannedLast, this.#rangeContext(this.#stop.signal));
    this.#committed = plannedLast;
    await this.#removeReadDirectly(messages);
  }

  async #fetchLoop(consumer: Consumer): Promise<void> {
    let failures = 0;
    while (!this.#winding) {
      const room = this.#pulls.room(this.#held);
      if (room === 0) {
        await this.#wakeFetcher.wait(1_000);
        continue;
      }
      const unreserve = this.#pulls.reserve(room);
      try {
        const messages = await consumer.fetch({ max_messages: room, expires: 2_000 });
        const stopPulling = () => messages.stop();
        this.#stop.signal.addEventListener("abort", stopPulling, { once: true });
        this.#stopPulling = stopPulling;
        if (this.handOver?.aborted) stopPulling();
        try {
          const inFlight = new Set<Promise<void>>();
          const concurrency = Math.max(1, this.sink.convertConcurrency ?? 1);
          for await (const message of messages) {
            const receiving: Promise<void> = this.#receive(message).finally(() => inFlight.delete(receiving));
            inFlight.add(receiving);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
          }
          await Promise.all(inFlight);
          unreserve();
        } finally {
          this.#stop.signal.removeEventListener("abort", stopPulling);
          this.#stopPulling = undefined;
        }
        failures = 0;
      } catch (error) {
        unreserve();
        if (this.#winding) break;
        if (consumerGone(error)) throw new Error(`JetStream consumer ${this.#stream}/${this.sink.consumer} is gone (${(error as Error).message}); run \`pug nats migrate\``);
        // Pulls fail while a connection is re-established, a stream leader is elected or heartbeats are late: the
        // messages held stay held (their deliveries are kept alive) and pulling resumes after a short pause.
        failures++;
        this.app.metrics.writerFetchErrors.inc({ table: this.sink.table });
        const delay = backoffDelay(failures, { baseMs: 100, maxMs: 2_000 });
        if (failures === 1 || failures % 20 === 0) this.log.warn("pulling from the stream failed; pulling again", { failures, retry_in_ms: delay, error });
        await sleep(delay, this.#stop.signal);
      }
    }
  }

  async #receive(message: JsMsg): Promise<void> {
    if (message.seq <= this.#committed) {
      // Written already (a redelivery after a crash or a slow ack): acknowledge it unread.
      message.ack();
      return;
    }
    const known = this.#held.get(message.seq);
    if (known) {
      // A redelivery of a message held: keep the newest delivery's handles.
      known.ack = () => message.ack();
      known.working = () => message.working();
      return;
    }
    this.#converting.add(message.seq);
    let conversion: HeldMessage<Row>["conversion"] | undefined;
    try {
      conversion = await this.#convert(message, this.#stop.signal);
    } finally {
      this.#converting.delete(message.seq);
    }
    if (!conversion) return;
    if (message.seq <= this.#committed) {
      // Written meanwhile, read directly to fill a gap.
      message.ack();
      return;
    }
    const held: HeldMessage<Row> = { seq: message.seq, subject: message.subject, data: ownBytes(message.data), conversion, ack: () => message.ack(), working: () => message.working() };
    this.#held.add(held);
    this.#pulls.seen(rowCount(held), heldBytes(held));
    this.#reportHeld();
    this.#wakeWriter.notify();
  }

  /** Converts a message, retrying failures of the stores conversion reads from; undefined when stopped meanwhile. */
  async #convert(message: StoredMessage, signal: AbortSignal): Promise<HeldMessage<Row>["conversion"] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return encodedConversion(this.sink, await this.sink.convert(message), (error) =>
          this.log.error("could not derive the derived tables' rows of a message; its rows are written without them", { seq: message.seq, error }),
        );
      } catch (error) {
        if (signal.aborted) return undefined;
        const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
        this.log.warn("could not convert a message; retrying", { seq: message.seq, attempt, retry_in_ms: delay, error });
        await sleep(delay, signal);
      }
    }
  }

  async #writeLoop(): Promise<void> {
    const { maxWaitMs } = this.sink.limits;
    while (!this.#winding) {
      const waited = this.#held.oldestAt ? Date.now() - this.#held.oldestAt : 0;
      if (!this.#due(waited)) {
        if (this.#held.size === 0 && Date.now() - this.#lastProbe > TAIL_PROBE_MS) await this.#probeTail();
        await this.#wakeWriter.wait(this.#held.oldestAt ? Math.max(10, maxWaitMs - waited) : maxWaitMs);
        continue;
      }
      // Nothing to write yet: wait for the conversion in the way (a message held wakes us) instead of spinning.
      if (!(await this.#writeNext(this.#stop.signal))) await this.#wakeWriter.wait(50);
    }
  }

  /**
   * Nothing held, yet the consumer delivered past the committed sequence: those deliveries went to someone else — a
   * predecessor killed while its pull was still open, so the last messages of a burst reached a dead client. No
   * later message reveals that gap, and redelivery would wait for ack_wait: read them directly now. One of them
   * reaching us meanwhile is acknowledged as already written.
   */
  async #probeTail(): Promise<void> {
    this.#lastProbe = Date.now();
    if (!this.#consumer) return;
    let info: Awaited<ReturnType<Consumer["info"]>>;
    try {
      info = await this.#consumer.info();
    } catch (error) {
      // NATS is reconnecting or electing a leader: the pulls see that too. The next idle round asks again.
      this.log.warn("could not ask the consumer how far it delivered; asking again later", { error });
      return;
    }
    const { delivered, ack_floor: ackFloor, num_ack_pending: pending } = info;
    const idle = this.#held.size === 0 && this.#converting.size === 0;
    if (idle && pending > 0 && delivered.stream_seq > Math.max(this.#committed, this.#deliveredBefore)) {
      this.log.info("messages were delivered elsewhere (a writer that died?); reading them directly", { from: this.#committed + 1, to: delivered.stream_seq });
      this.#deliveredBefore = delivered.stream_seq;
    }
    // Idle, every written message was acknowledged; an ack floor still below the committed sequence a probe later
    // means acknowledgements were lost (sent to a NATS node as it died). JetStream would redeliver those messages
    // only after ack_wait, counted in the queue until then (and a consumer leader elected meanwhile starts the
    // wait again): remove them now, as a start does with a predecessor's.
    const acksLost = idle && pending > 0 && ackFloor.stream_seq < this.#committed && ackFloor.stream_seq === this.#ackFloorBefore;
    this.#ackFloorBefore = idle ? ackFloor.stream_seq : -1;
    if (!acksLost) return;
    try {
      await removeCommittedLeftovers(this.nats, this.#stream, this.#committed, this.#stop.signal, this.log, "written whose acknowledgements were lost");
    } catch (error) {
      // As with the consumer's info above: their redelivery is acknowledged unread in any case.
      this.log.warn("could not remove written messages whose acknowledgements were lost; asking again later", { error });
    }
  }

  #due(waited: number): boolean {
    const { maxRows, maxBytes, maxWaitMs } = this.sink.limits;
    if (this.#committed < this.#deliveredBefore) return true;
    if (this.#held.size === 0) return false;
    // The process's writers together hold all they may: each writes what it holds, so fetching can go on.
    if (this.sink.budget?.full) return true;
    return this.#held.rows >= maxRows || this.#held.bytes >= maxBytes || waited >= maxWaitMs;
  }

  /**
   * Writes the next range: from the committed sequence on, held messages and, for gaps, messages read directly.
   * False when there was nothing to write yet (the next message is still being converted).
   */
  async #writeNext(signal: AbortSignal): Promise<boolean> {
    const { maxRows, maxBytes } = this.sink.limits;
    const first = this.#committed + 1;
    const lowest = this.#held.lowest();
    const ahead = [...this.#converting].filter((seq) => seq >= first);
    const converting = ahead.length > 0 ? Math.min(...ahead) : undefined;
    // Below the lowest message held, every message not held was delivered to someone else (a predecessor that
    // died, or a delivery lost in a reconnect) and comes back only after ack_wait: read those directly. A range
    // stops before a message still being converted: it is ours, and will be held in a moment.
    const readUpTo = Math.min(Math.max(this.#deliveredBefore, (lowest ?? 0) - 1), (converting ?? Infinity) - 1);
    const messages: HeldMessage<Row>[] = [];
    let rows = 0;
    let bytes = 0;
    let seq = first;
    while (rows < maxRows && bytes < maxBytes) {
      if (this.#converting.has(seq)) break;
      const held = this.#held.get(seq);
      if (held) {
        messages.push(held);
        rows += rowCount(held);
        bytes += heldBytes(held);
        seq++;
        continue;
      }
      if (seq > readUpTo) break;
      const end = Math.min(readUpTo, seq + DIRECT_READ_CHUNK - 1, (this.#held.nextAbove(seq) ?? Infinity) - 1);
      for (const message of await this.#readDirect(seq, end, signal)) {
        messages.push(message);
        rows += rowCount(message);
        bytes += heldBytes(message);
      }
      seq = end + 1;
    }
    const last = seq - 1;
    if (last < first) return false;
    await writeRange(messages, first, last, this.#rangeContext(signal));
    this.#committed = last;
    for (let done = first; done <= last; done++) this.#held.take(done)?.ack?.();
    await this.#removeReadDirectly(messages);
    if (this.#held.size > 0) this.#held.oldestAt = Date.now();
    this.#reportHeld();
    this.#wakeFetcher.notify();
    return true;
  }

  /** Written messages read straight from the stream have no delivery of ours to acknowledge: remove them. */
  async #removeReadDirectly(messages: HeldMessage<Row>[]): Promise<void> {
    const readDirectly = messages.filter((message) => !message.ack).map((message) => message.seq);
    if (readDirectly.length === 0) return;
    const failures = await removeWritten(this.nats, this.#stream, readDirectly);
    if (failures.length > 0) this.log.warn("some written messages could not be removed now; their redelivery is acknowledged instead", { left: failures.length, error: failures[0] });
  }

  /** Messages `first`..`last` read straight from the stream and converted; those gone are counted and skipped. */
  async #readDirect(first: number, last: number, signal: AbortSignal): Promise<HeldMessage<Row>[]> {
    const stored = await readRange(this.nats, this.#stream, first, last, signal, this.log);
    const gone = last - first + 1 - stored.length;
    if (gone > 0) {
      this.app.metrics.writerMessagesGone.inc({ table: this.sink.table }, gone);
      this.log.warn("messages were gone from the stream before being written (removed by its limits?)", { first, last, gone });
    }
    const messages: HeldMessage<Row>[] = [];
    for (const message of stored) {
      const conversion = await this.#convert(message, signal);
      if (!conversion) throw new Error(`stopped while converting ${this.#stream} message ${message.seq}`);
      messages.push({ ...message, conversion });
    }
    return messages;
  }

  /** Stopping: write what is held if that succeeds within the grace period; otherwise it stays queued. */
  async #finalWrite(): Promise<void> {
    if (this.#held.size === 0) return;
    const grace = AbortSignal.timeout(Math.max(1_000, this.app.config.shutdownGraceMs / 2));
    try {
      while (this.#held.size > 0 && !grace.aborted) if (!(await this.#writeNext(grace))) await sleep(20, grace);
    } catch (error) {
      // Nothing held was acknowledged, so JetStream delivers it to the next writer: nothing is lost.
      this.log.warn("could not write held messages before stopping; they stay queued", { held: this.#held.size, error });
    }
  }

  /** Held bytes of the table: all its writers' in this process when they share a budget. */
  #reportHeld(): void {
    this.app.metrics.writerHeldBytes.set({ table: this.sink.table }, this.sink.budget?.bytes ?? this.#held.bytes);
  }

  #rangeContext(signal: AbortSignal) {
    return { app: this.app, nats: this.nats, log: this.log, sink: this.sink, ledger: this.ledger, signal };
  }
}
