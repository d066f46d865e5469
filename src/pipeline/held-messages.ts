// The messages a writer holds between delivery and the write that stores them, keyed by stream sequence, with
// the running totals that decide when a write is due and when fetching must pause (memory stays bounded).

import type { HeldBudget } from "./held-budget.ts";
import { type HeldMessage, heldBytes, rowCount } from "./types.ts";

export class HeldMessages<Row> {
  readonly #bySeq = new Map<number, HeldMessage<Row>>();

  /** `budget`: what this writer holds is also counted there, with what the process's other writers hold. */
  constructor(private readonly budget?: HeldBudget) {}

  rows = 0;
  bytes = 0;
  /** When the oldest message still held arrived (ms), 0 when none is held. */
  oldestAt = 0;

  get size(): number {
    return this.#bySeq.size;
  }

  get(seq: number): HeldMessage<Row> | undefined {
    return this.#bySeq.get(seq);
  }

  add(message: HeldMessage<Row>): void {
    const previous = this.#bySeq.get(message.seq);
    if (previous) this.#forget(previous);
    this.#bySeq.set(message.seq, message);
    this.rows += rowCount(message);
    this.bytes += heldBytes(message);
    this.budget?.add(rowCount(message), heldBytes(message));
    if (this.oldestAt === 0) this.oldestAt = Date.now();
  }

  /** Removes and returns the message at `seq`. */
  take(seq: number): HeldMessage<Row> | undefined {
    const message = this.#bySeq.get(seq);
    if (message) {
      this.#bySeq.delete(seq);
      this.#forget(message);
      if (this.#bySeq.size === 0) this.oldestAt = 0;
    }
    return message;
  }

  /** The lowest sequence held, or undefined. */
  lowest(): number | undefined {
    let lowest: number | undefined;
    for (const seq of this.#bySeq.keys()) if (lowest === undefined || seq < lowest) lowest = seq;
    return lowest;
  }

  /** The lowest sequence held above `seq`, or undefined. */
  nextAbove(seq: number): number | undefined {
    let next: number | undefined;
    for (const held of this.#bySeq.keys()) if (held > seq && (next === undefined || held < next)) next = held;
    return next;
  }

  /** Forgets every message (the writer stopped: they stay queued for whoever writes next). */
  clear(): void {
    for (const message of this.#bySeq.values()) this.#forget(message);
    this.#bySeq.clear();
    this.oldestAt = 0;
  }

  values(): IterableIterator<HeldMessage<Row>> {
    return this.#bySeq.values();
  }

  #forget(message: HeldMessage<Row>): void {
    this.rows -= rowCount(message);
    this.bytes -= heldBytes(message);
    this.budget?.release(rowCount(message), heldBytes(message));
  }
}
