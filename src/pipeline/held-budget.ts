// What all the writers of one sink in a process may hold together. A worker writing several events partitions
// runs a writer per partition; each bounded on its own, four of them held four times what one did. Shared, the
// budget is what one writer held (twice a write's worth), and a busy partition may use most of it: a writer
// fetches only while the budget has room, and writes what it holds once the budget is full, so room comes back.

export class HeldBudget {
  rows = 0;
  bytes = 0;
  readonly #onRelease = new Set<() => void>();

  constructor(
    readonly maxRows: number,
    readonly maxBytes: number,
  ) {}

  get full(): boolean {
    return this.rows >= this.maxRows || this.bytes >= this.maxBytes;
  }

  add(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
  }

  release(rows: number, bytes: number): void {
    this.rows -= rows;
    this.bytes -= bytes;
    for (const listener of this.#onRelease) listener();
  }

  /** Calls `listener` whenever room comes back; returns the function that stops it. */
  onRelease(listener: () => void): () => void {
    this.#onRelease.add(listener);
    return () => this.#onRelease.delete(listener);
  }
}
