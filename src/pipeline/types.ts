// The shapes the stream → ClickHouse writer shares with the roles that use it. A role describes its table once
// (a TableSink); the writer does the rest: ordered ranges, plan → insert → commit → ack, dead letters, metrics.

import type { StoredMessage } from "./stream-messages.ts";

/**
 * What one stream message becomes: rows for the table, and what of it can never be stored (dead-lettered with the
 * reason). `reject.data` is the part refused, as a message of the stream's own format; without it, the whole
 * message is dead-lettered.
 */
export interface Conversion<Row> {
  rows: Row[];
  reject?: { reason: string; detail: string; data?: Uint8Array };
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
  /** The stream's bare name (`events`); its dead-letter twin is `<stream>_dlq`… */
  stream: string;
  /** …unless named here (bare): the events partitions all dead-letter into `events_dlq`. */
  deadLetterStream?: string;
  /** The durable consumer that delivers the stream to this writer. */
  consumer: string;
  limits: WriteLimits;
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
}

/** A message the writer holds, converted, with the handles of its delivery when the consumer delivered it. */
export interface HeldMessage<Row> extends StoredMessage {
  conversion: Conversion<Row>;
  ack?: () => void;
  working?: () => void;
}

export const rowCount = <Row>(message: HeldMessage<Row>): number => message.conversion.rows.length;
