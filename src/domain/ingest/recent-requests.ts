// The requests one events partition's writer stored lately, so that an SDK's retry of a request that was in fact
// queued is not stored a second time. Group commit puts a retry in whatever group forms when it arrives, under
// another msgID than the first attempt's, so JetStream's duplicate window cannot see it (see
// src/server/sdk/group-commit.ts); but a request always goes to the same partition (its project and first distinct
// id choose it), and one writer reads that partition in stream order, so the writer can. The events table would
// collapse the repeat at a merge; the materialized views fed by inserts (usage, profile activity and days) would
// count it twice.
//
// Kept in memory for JetStream's duplicate window (so a retry is caught for as long as before group commit), and
// for at most `capacity` requests (the oldest are forgotten first). A writer that takes a partition over starts
// with none: a retry of a request queued just before a worker died is still stored twice.

/** A request's identity: its project and event ids, in order, as two independent 52-bit hashes. */
export interface RequestKey {
  key: number;
  check: number;
}

const MASK_52 = (1n << 52n) - 1n;

export function requestKey(projectId: string, eventIds: readonly string[]): RequestKey {
  let text = projectId;
  for (const id of eventIds) text += "\n" + id.toLowerCase();
  return { key: Number(Bun.hash.wyhash(text, 1n) & MASK_52), check: Number(Bun.hash.wyhash(text, 2n) & MASK_52) };
}

export class RecentRequests {
  /** key → slot of the ring below. */
  readonly #slots = new Map<number, number>();
  readonly #keys: Float64Array;
  readonly #checks: Float64Array;
  readonly #seqs: Float64Array;
  readonly #times: Float64Array;
  /** Next slot to fill, and how many are filled (the oldest is at #next - #size). */
  #next = 0;
  #size = 0;

  constructor(
    private readonly windowMs: number,
    private readonly capacity: number,
  ) {
    this.#keys = new Float64Array(capacity);
    this.#checks = new Float64Array(capacity);
    this.#seqs = new Float64Array(capacity);
    this.#times = new Float64Array(capacity);
  }

  /**
   * Whether the request was already stored by an earlier message (a lower stream sequence) within the window.
   * Converting the same message again is no repeat.
   */
  repeated({ key, check }: RequestKey, seq: number, now: number): boolean {
    this.#expire(now);
    const slot = this.#slots.get(key);
    return slot !== undefined && this.#checks[slot] === check && this.#seqs[slot]! < seq;
  }

  /** The request is stored by message `seq` (only once it is: a request dead-lettered whole may come again). */
  stored({ key, check }: RequestKey, seq: number, now: number): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined && this.#checks[slot] === check) {
      // The same message again, or (reading a gap directly) an earlier one converted after a later one: the
      // earlier message is the one that counts from now on.
      this.#seqs[slot] = Math.min(this.#seqs[slot]!, seq);
      return;
    }
    this.#remember(key, check, seq, now);
  }

  get size(): number {
    return this.#size;
  }

  #remember(key: number, check: number, seq: number, now: number): void {
    if (this.#size === this.capacity) this.#forgetOldest();
    const slot = this.#next;
    this.#keys[slot] = key;
    this.#checks[slot] = check;
    this.#seqs[slot] = seq;
    this.#times[slot] = now;
    this.#slots.set(key, slot);
    this.#next = (slot + 1) % this.capacity;
    this.#size++;
  }

  #expire(now: number): void {
    while (this.#size > 0 && now - this.#times[this.#oldest]! >= this.windowMs) this.#forgetOldest();
  }

  get #oldest(): number {
    return (this.#next - this.#size + this.capacity) % this.capacity;
  }

  #forgetOldest(): void {
    const slot = this.#oldest;
    // A key whose slot was taken over by a newer request (a hash collision) belongs to that one now.
    if (this.#slots.get(this.#keys[slot]!) === slot) this.#slots.delete(this.#keys[slot]!);
    this.#size--;
  }
}
