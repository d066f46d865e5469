// How many messages a table writer pulls at once. What it holds stays within twice a write's worth of rows and
// bytes (one write in flight, the next one filling), and within the budget its sink's writers share in one process,
// estimated from the sizes of the messages seen so far.

import type { HeldBudget } from "./held-budget.ts";
import type { WriteLimits } from "./types.ts";

/** Messages per pull; small pulls let a write start as soon as enough is held. */
const FETCH_MAX_MESSAGES = 500;
/** The first pull, before any message's size is known. */
const FIRST_PULL_MESSAGES = 16;

export class PullSizing {
  /** Totals of every message received, for their average sizes. */
  readonly #seen = { messages: 0, rows: 0, bytes: 0 };

  constructor(
    private readonly limits: Pick<WriteLimits, "maxRows" | "maxBytes">,
    private readonly budget?: HeldBudget,
  ) {}

  /** A message received, of `rows` rows in `bytes` bytes. */
  seen(rows: number, bytes: number): void {
    this.#seen.messages++;
    this.#seen.rows += rows;
    this.#seen.bytes += bytes;
  }

  /** How many messages to pull now, given what this writer holds: 0 when it (or the shared budget) holds enough. */
  room(held: { rows: number; bytes: number }): number {
    const { maxRows, maxBytes } = this.limits;
    const { budget } = this;
    // A shared budget: at most a quarter of it in one pull, so one writer's pull leaves room for the others'.
    const rowsLeft = Math.min(2 * maxRows - held.rows, budget ? Math.min(budget.maxRows - budget.rows, budget.maxRows / 4) : Infinity);
    const bytesLeft = Math.min(2 * maxBytes - held.bytes, budget ? Math.min(budget.maxBytes - budget.bytes, budget.maxBytes / 4) : Infinity);
    if (rowsLeft <= 0 || bytesLeft <= 0) return 0;
    // Until a message was seen its size is unknown: a first pull of FETCH_MAX_MESSAGES large ones could be anything.
    const seen = this.#seen;
    if (seen.messages === 0) return FIRST_PULL_MESSAGES;
    const byRows = Math.ceil(rowsLeft / Math.max(1, seen.rows / seen.messages));
    const byBytes = Math.ceil(bytesLeft / Math.max(1, seen.bytes / seen.messages));
    return Math.max(1, Math.min(FETCH_MAX_MESSAGES, byRows, byBytes));
  }

  /**
   * Counts a pull of `room` messages (at their average size) in the shared budget while it is on its way, so
   * writers pulling at once cannot together pull past it. The function returned gives it back, once.
   */
  reserve(room: number): () => void {
    const { budget } = this;
    const seen = this.#seen;
    if (!budget || seen.messages === 0) return () => {};
    const rows = Math.round((room * seen.rows) / seen.messages);
    const bytes = Math.round((room * seen.bytes) / seen.messages);
    budget.add(rows, bytes);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      budget.release(rows, bytes);
    };
  }
}
