// The shapes the stream → ClickHouse writer shares with the roles that use it. A role describes its table once
// (a TableSink); the writer does the rest: ordered ranges, plan → insert → commit → ack, dead letters, metrics.

import type { EncodedTableRows } from "../domain/sql/native-block-writer.ts";
import type { HeldBudget } from "./held-budget.ts";
import type { StoredMessage } from "./stream-messages.ts";

/**
 * What one stream message becomes: rows for the table, and what of it can never be stored (dead-lettered with the
 * reason). `reject.data` is the part refused, as a message of the stream's own format; without it, the whole
 * message is dead-lettered.
 */
export interface Conversion<Row> {
  rows: Row[];
  reject?: { reason: string; detail: string; data?: Uint8Array };
  /**
   * For a sink with an `encoding`: the rows encoded, set by the writer as soon as the message is converted (and
   * `rows` then emptied), so a held message keeps its compact bytes rather than objects.
   */
  encoded?: { rows: number; bytes: Uint8Array };
  /** For a sink with `derived`: what its rows give the derived tables, and the bytes that takes in memory. */
  derived?: { part: unknown; bytes: number };
}

/**
 * How a sink's rows are sent when not as JSONEachRow: a binary format ClickHouse parses far faster, for exactly
 * the columns named (in that order). Each message's rows are encoded on their own, one Native block each, joined
 * into one block when written. The encoder throws for a row it cannot encode (that message is
 * dead-lettered).
 */
export interface RowEncoding<Row> {
  format: "Native";
  columns: readonly string[];
  encode(rows: readonly Row[]): Uint8Array;
}

/**
 * Tables a sink fills with what it derives from its own rows (the events' filter schema): a part is derived from
 * each message's rows when it is converted (before they are encoded), and a write's parts are combined and
 * inserted after the sink's own rows, each table under the same token. So only rows inserted are counted, and
 * each count is inserted once: see insertDerived in ./write-range.ts.
 */
export interface DerivedTables<Row, Part> {
  derive(rows: readonly Row[]): Part;
  /** What a part takes in memory while its message is held (counted against the limits with the message). */
  bytes(part: Part): number;
  /** The parts of one write's messages as rows per table (tables without rows left out). */
  combine(parts: Part[]): EncodedTableRows[];
}

export interface WriteLimits {
  /** A write starts once this many rows are held… */
  maxRows: number;
  /** …or this many bytes of messages… */
  maxBytes: number;
  /** …or the oldest held message has waited this long. */
  maxWaitMs: number;
}

export interface TableSink<Row> {
  /** The ClickHouse table the rows go to; also names the writer in logs and metrics. */
  table: string;
  /**
   * For a sink that fills several tables: the rows of one write grouped by table, each group inserted under the
   * range's token (deduplication is per table, so one token serves all). Without it every row goes to `table`.
   */
  split?(rows: Row[]): Map<string, unknown[]>;
  /** Tables derived from the rows of `table` (not used with `split`). */
  derived?: DerivedTables<Row, unknown>;
  /** Rows of `table` sent in a binary format (not used with `split`); without it, JSONEachRow. */
  encoding?: RowEncoding<Row>;
  /** The stream's bare name (`events`); its dead-letter twin is `<stream>_dlq`… */
  stream: string;
  /** …unless named here (bare): the events partitions all dead-letter into `events_dlq`. */
  deadLetterStream?: string;
  /** The durable consumer that delivers the stream to this writer. */
  consumer: string;
  limits: WriteLimits;
  /** Shared by the writers of this sink in one process (one per events partition); without it each is bounded alone. */
  budget?: HeldBudget;
  /**
   * How many delivered messages may be converted at once (default 1: one after the other). More only helps a sink
   * whose conversion waits on I/O, and is safe only when conversion is order-insensitive; rows are still written
   * in stream order.
   */
  convertConcurrency?: number;
  /**
   * Rows for one message. Data it can never store is a `reject` (dead-lettered with the reason); it throws only
   * for a failure worth retrying (a store it reads from being down), and the message waits. It may apply the
   * message to the store whose state the rows mirror (the profile worker applies identify calls to Postgres), if
   * applying is idempotent and order-insensitive: a message is converted again after a crash, and messages read
   * directly to fill a gap are converted after later ones.
   */
  convert(message: StoredMessage): Promise<Conversion<Row>>;
  /** Told when a converted message was dead-lettered whole after all (unencodable, refused by ClickHouse). */
  deadLettered?(message: StoredMessage): void;
}

/** A message the writer holds, converted, with the handles of its delivery when the consumer delivered it. */
export interface HeldMessage<Row> extends StoredMessage {
  conversion: Conversion<Row>;
  ack?: () => void;
  working?: () => void;
}

export const rowCount = <Row>(message: HeldMessage<Row>): number => message.conversion.encoded?.rows ?? message.conversion.rows.length;

/** What a held message takes in memory, as counted against the limits: its bytes as queued, encoded, and derived. */
export const heldBytes = <Row>(message: HeldMessage<Row>): number =>
  message.data.byteLength + (message.conversion.encoded?.bytes.byteLength ?? 0) + (message.conversion.derived?.bytes ?? 0);

/**
 * A conversion as the writer holds it: with an encoding, the rows become bytes now, and with derived tables their
 * part is derived now. Rows that cannot be encoded make the whole message a dead letter (the encoder names the
 * event and column), with nothing derived. Deriving that throws (a bug: rows that could be encoded can be
 * tallied) leaves the message without a part, reported to `underived`: its rows are still written, only the
 * index they would add to is short, where retrying the conversion would stall the stream behind it for good.
 */
export function encodedConversion<Row>(sink: TableSink<Row>, conversion: Conversion<Row>, underived: (error: unknown) => void): Conversion<Row> {
  if (sink.split || conversion.rows.length === 0 || (!sink.encoding && !sink.derived)) return conversion;
  let encoded: Conversion<Row>["encoded"];
  if (sink.encoding) {
    try {
      encoded = { rows: conversion.rows.length, bytes: sink.encoding.encode(conversion.rows) };
    } catch (error) {
      return { rows: [], reject: { reason: "unencodable", detail: (error as Error).message } };
    }
  }
  let derived: Conversion<Row>["derived"];
  if (sink.derived) {
    try {
      const part = sink.derived.derive(conversion.rows);
      derived = { part, bytes: sink.derived.bytes(part) };
    } catch (error) {
      underived(error);
    }
  }
  return { rows: encoded ? [] : conversion.rows, reject: conversion.reject, encoded, derived };
}
