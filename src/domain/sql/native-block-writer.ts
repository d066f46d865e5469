// One block of ClickHouse's Native format as an HTTP body carries it (`INSERT … FORMAT Native`). Over HTTP there
// is no BlockInfo (only the TCP protocol, or HTTP with client_protocol_version, sends one), so a block is: the
// column count and the row count as LEB128, then each column in turn: its name and its type as Strings, then its
// data, every row's value one after the other as ./binary-writer.ts writes them. A Map(K, V) is stored as
// Array(Tuple(K, V)): each row's end offset into the entries (UInt64, cumulative), then every key, then every
// value. Blocks may follow one another in one body.

import { BinaryWriter } from "./binary-writer.ts";

/** One table's rows as one Native block: the body of `INSERT INTO <table> (<columns>) FORMAT Native`. */
export interface EncodedTableRows {
  table: string;
  format: "Native";
  columns: readonly string[];
  rows: number;
  bytes: Uint8Array;
}

export class NativeBlockWriter {
  readonly #out: BinaryWriter;
  readonly #columns: number;
  #started = 0;

  /** `out`: a writer to write the block into from its start (its buffer reused), or the initial size of a new one. */
  constructor(columns: number, readonly rows: number, out: BinaryWriter | number = 64 * 1024) {
    this.#out = typeof out === "number" ? new BinaryWriter(out) : out.reset();
    this.#columns = columns;
    this.#out.varUInt(columns);
    this.#out.varUInt(rows);
  }

  /** Starts the next column; its data, a value for each row in order, is written next into the writer returned. */
  column(name: string, type: string): BinaryWriter {
    if (this.#started === this.#columns) throw new Error(`column ${name}: the block was made for ${this.#columns} columns`);
    this.#started++;
    this.#out.string(name);
    this.#out.string(type);
    return this.#out;
  }

  /** The offsets that start the data of a Map (or Array) column, given each row's number of entries. */
  offsets(sizes: readonly number[]): void {
    if (sizes.length !== this.rows) throw new Error(`${sizes.length} offsets for a block of ${this.rows} rows`);
    let end = 0;
    for (const size of sizes) {
      end += size;
      this.#out.int64(end);
    }
  }

  /** The block's bytes, in a buffer of their own. */
  finish(): Uint8Array {
    if (this.#started !== this.#columns) throw new Error(`the block has ${this.#started} of its ${this.#columns} columns`);
    return this.#out.finish();
  }
}
