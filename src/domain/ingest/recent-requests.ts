// The requests an events worker's partition writers stored lately, so that an SDK's retry of a request that was in
// fact queued is not stored a second time. Group commit puts a retry in whatever group forms when it arrives, under
// another msgID than the first attempt's, so JetStream's duplicate window cannot see it (see
// src/server/sdk/group-commit.ts); but a request always goes to the same partition (its project and first distinct
// id choose it), and one writer reads that partition in stream order, so the writer can. The events table would
// collapse the repeat at a merge; the materialized views fed by inserts (usage, profile activity and days) would
// count it twice.
//
// Kept in memory for JetStream's duplicate window (so a retry is caught for as long as before group commit), and
// for at most `capacity` requests (the oldest are forgotten first: under more requests than that in 2 minutes the
// window is shorter), one memory for all the partitions a worker writes, each writer's keys scoped to its partition
// and lease (requestKey's `scope`), so sequences of different streams or of an earlier lease are never compared.
// A request is remembered when its message is converted, before it is stored, so that a retry later in the same
// write is caught too; a message dead-lettered whole is forgotten again. Repeats still get through: after a
// takeover (the new lease remembers nothing), beyond the capacity, and when a gap is read directly after a later
// message holding the retry was already converted (both are stored: a repeat, never a loss).

/** A request's identity: its project and event ids, in order, as two independent 52-bit hashes. */
export interface RequestKey {
  key: number;
  check: number;
}

const MASK_52 = (1n << 52n) - 1n;

/** `scope`: whose memory it is (a partition's writer for one lease), so that no other writer's entry matches. */
export function requestKey(projectId: string, eventIds: readonly string[], scope = ""): RequestKey {
  let text = `${scope}\n${projectId}`;
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
      // The same message again, or (reading a gap directly) an earlier one converted after a later one, whose rows
      // are held already: the earlier message is the one that counts from now on.
      this.#seqs[slot] = Math.min(this.#seqs[slot]!, seq);
      return;
    }
    this.#remember(key, check, seq, now);
  }

  /** Message `seq` was not stored after all (dead-lettered whole): its request may come again. */
  forget({ key, check }: RequestKey, seq: number): void {
    const slot = this.#slots.get(key);
    // The ring slot stays until it is reused or expires; only the lookup goes.
    if (slot !== undefined && this.#checks[slot] === check && this.#seqs[slot] === seq) this.#slots.delete(key);
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
