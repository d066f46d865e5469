// One process's view of fixed one-second rate windows that several processes share through a store (Redis), so
// that a request is decided locally and the store is told in the background, in batches.
//
// Each window keeps what the store last said it holds (`known`, which includes this process's own flushed costs),
// what is on its way there (`inFlight`) and what is not sent yet (`pending`). A request is allowed when
// known + inFlight + pending + cost stays within the limit: within one process that is exact (the first refusal is
// the first request over the limit); across processes the total can exceed the limit by what the others took that
// this process has not heard of yet, i.e. since its last flush's answer. A refused cost is not counted.
//
// Memory: one window per bucket, replaced by the bucket's next second (the old one kept only until its pending cost
// is drained) and forgotten at the first sweep after its second ends; at most `capacity` buckets are kept, beyond
// that `take` answers "untracked" and the caller asks the store directly.

export interface RateWindow {
  readonly bucket: string;
  readonly second: number;
  known: number;
  inFlight: number;
  pending: number;
  /** Requests allowed since the last drain: those the store has not been asked about. */
  takes: number;
}

export type RateVerdict = "allowed" | "refused" | "untracked";

/** Costs sent to the store together; `costs[i]` was added to `windows[i]`. */
export interface RateFlush {
  windows: RateWindow[];
  costs: number[];
  /** Requests whose cost this flush carries for the first time. */
  takes: number;
}

export class RateWindows {
  readonly #windows = new Map<string, RateWindow>();
  readonly #dirty = new Set<RateWindow>();
  #sweptSecond = 0;

  constructor(private readonly capacity: number) {}

  /** Buckets with a window in memory. */
  get size(): number {
    return this.#windows.size;
  }

  /** Nothing in memory: no window to answer from, no cost to send. */
  get idle(): boolean {
    return this.#windows.size === 0 && this.#dirty.size === 0;
  }

  /** Adds `cost` to `bucket`'s window of `second` unless that takes it over `limit`. */
  take(bucket: string, second: number, limit: number, cost: number): RateVerdict {
    let window = this.#windows.get(bucket);
    if (window?.second !== second) {
      if (!window && this.#windows.size >= this.capacity) this.sweep(second);
      if (!window && this.#windows.size >= this.capacity) return "untracked";
      window = { bucket, second, known: 0, inFlight: 0, pending: 0, takes: 0 };
      this.#windows.set(bucket, window);
    }
    if (window.known + window.inFlight + window.pending + cost > limit) return "refused";
    window.pending += cost;
    window.takes++;
    this.#dirty.add(window);
    return "allowed";
  }

  /** Moves every pending cost to in flight, in flushes of at most `maxWindows` windows. */
  drain(maxWindows: number): RateFlush[] {
    const flushes: RateFlush[] = [];
    let flush: RateFlush | undefined;
    for (const window of this.#dirty) {
      if (!flush || flush.windows.length === maxWindows) flushes.push((flush = { windows: [], costs: [], takes: 0 }));
      flush.windows.push(window);
      flush.costs.push(window.pending);
      flush.takes += window.takes;
      window.inFlight += window.pending;
      window.pending = 0;
      window.takes = 0;
    }
    this.#dirty.clear();
    return flushes;
  }

  /** The store answered `flush` with each window's total after adding its cost. */
  settle(flush: RateFlush, totals: readonly number[]): void {
    flush.windows.forEach((window, i) => {
      window.inFlight -= flush.costs[i]!;
      window.known = Math.max(window.known, totals[i]!);
    });
  }

  /**
   * The store did not take `flush`: costs of windows still current at `second` are pending again (and still count
   * here), those of past windows are dropped.
   */
  fail(flush: RateFlush, second: number): void {
    flush.windows.forEach((window, i) => {
      window.inFlight -= flush.costs[i]!;
      if (window.second < second || this.#windows.get(window.bucket) !== window) return;
      window.pending += flush.costs[i]!;
      this.#dirty.add(window);
    });
  }

  /** Forgets the windows of seconds before `second`, with whatever of theirs was not drained yet. */
  sweep(second: number): void {
    if (second <= this.#sweptSecond) return;
    this.#sweptSecond = second;
    for (const [bucket, window] of this.#windows) {
      if (window.second >= second) continue;
      this.#windows.delete(bucket);
      this.#dirty.delete(window);
    }
    for (const window of this.#dirty) if (window.second < second) this.#dirty.delete(window);
  }
}
