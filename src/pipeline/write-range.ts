// Stores one contiguous range of stream messages: dead letters first, then plan → insert → commit. The
// deduplication token is derived from the range, so a range planned and then written again after a crash is the
// same insert to ClickHouse, which drops the repeat. A range ClickHouse keeps refusing is written again message by
// message, and only the messages it refuses are dead-lettered.

import type { App } from "../app/app.ts";
import type { Nats } from "../infra/nats.ts";
import type { Logger } from "../logger.ts";
import { type EncodedRows, insertRows, isDataError } from "./clickhouse-insert.ts";
import { deadLetter } from "./dead-letter.ts";
import type { Ledger } from "./ledger.ts";
import { type HeldMessage, rowCount, type TableSink } from "./types.ts";

export interface RangeContext<Row> {
  app: App;
  nats: Nats;
  log: Logger;
  sink: TableSink<Row>;
  ledger: Ledger;
  signal: AbortSignal;
}

/** Writes `messages`, the messages still in the stream between `first` and `last` (both included). */
export async function writeRange<Row>(messages: HeldMessage<Row>[], first: number, last: number, ctx: RangeContext<Row>): Promise<void> {
  const { app, sink } = ctx;
  for (const message of messages) {
    const { reject } = message.conversion;
    if (!reject) continue;
    ctx.log.error("part of a message can never be stored; dead-lettered", { seq: message.seq, reason: reject.reason, detail: reject.detail });
    await deadLetter(ctx.nats, { stream: sink.stream, to: sink.deadLetterStream, seq: message.seq, data: reject.data ?? message.data, reason: reject.reason, detail: reject.detail }, ctx.signal, ctx.log);
    app.metrics.deadLettered.inc({ table: sink.table, reason: reject.reason });
    if (!reject.data) sink.deadLettered?.(message);
  }
  await ctx.ledger.plan(first, last);
  try {
    await insert(first, last, messages, ctx, 5);
  } catch (error) {
    if (!isDataError(error)) throw error;
    ctx.log.error("clickhouse keeps refusing a range; writing its messages one by one", { first, last, error });
    await writeOneByOne(messages, ctx);
  }
  await ctx.ledger.commit(last);
}

async function writeOneByOne<Row>(messages: HeldMessage<Row>[], ctx: RangeContext<Row>): Promise<void> {
  for (const message of messages) {
    if (rowCount(message) === 0) continue;
    await ctx.ledger.plan(message.seq, message.seq);
    try {
      await insert(message.seq, message.seq, [message], ctx, 3);
    } catch (error) {
      if (!isDataError(error)) throw error;
      await deadLetter(ctx.nats, { stream: ctx.sink.stream, to: ctx.sink.deadLetterStream, seq: message.seq, data: message.data, reason: "rejected_by_clickhouse", detail: refusal(error) }, ctx.signal, ctx.log);
      ctx.app.metrics.deadLettered.inc({ table: ctx.sink.table, reason: "rejected_by_clickhouse" });
      ctx.sink.deadLettered?.(message);
    }
    await ctx.ledger.commit(message.seq);
  }
}

/** ClickHouse's own words: the error's name and code, then its message. */
function refusal(error: unknown): string {
  const { type, code, message } = error as { type?: string; code?: string; message: string };
  return `${type ?? "error"} (${code ?? "?"}): ${message}`;
}

async function insert<Row>(first: number, last: number, messages: HeldMessage<Row>[], ctx: RangeContext<Row>, maxDataAttempts: number): Promise<void> {
  const { app, sink } = ctx;
  const token = `${ctx.nats.names.stream(sink.stream)}:${first}-${last}`;
  const keepAlive = () => messages.forEach((message) => message.working?.());
  for (const [table, tableRows] of byTable(messages, sink)) {
    const count = Array.isArray(tableRows) ? tableRows.length : tableRows.rows;
    if (count === 0) continue;
    await insertRows(app, ctx.log, { table, rows: tableRows, token, maxDataAttempts, signal: ctx.signal, keepAlive });
    app.metrics.writerBatchRows.observe({ table }, count);
    app.metrics.writerRows.inc({ table }, count);
  }
  await insertDerived(messages, ctx, token, keepAlive);
}

/** Attempts a derived table's refused rows get before they are left out (see insertDerived). */
const DERIVED_DATA_ATTEMPTS = 5;

/**
 * The derived tables' rows of `messages`, inserted once the sink's own rows are, each table under the same token
 * (ClickHouse deduplicates per table). Why this counts every row inserted exactly once:
 * - an insert retried, or a range planned and written again after a crash (between the two inserts or not), is
 *   sent under the same token, so ClickHouse drops what it already has, table by table;
 * - the parts are derived from the rows this range inserts: a repeat dropped at conversion (recent-requests.ts)
 *   or a part of a message dead-lettered is in neither. (A range written again after a crash is converted again,
 *   by a process that remembers no requests: if the first attempt's events went in, a retry of a request of an
 *   earlier range that it dropped is counted now, though stored once: the one over-count the views did not have.)
 * - a range ClickHouse refuses never gets here: its messages are written one by one, each under a token of its
 *   own, with its own part, and a message dead-lettered then never gets here either.
 * For the same reason a refusal here never reaches writeRange's one-by-one path: the sink's rows are in, under this
 * token, and writing the range again message by message would insert them (and count them) a second time. Rows
 * derived from ClickHouse's own accepted rows are not expected to be refused; if a table still refuses them after
 * the attempts a data error gets, that table's rows of this write are left out, logged as an error and counted
 * (pug_writer_derived_dropped_rows_total): they are an index of what the events hold, and stalling the events of the
 * partition behind them (until the stream fills and intake refuses) would cost far more than a few lower counts.
 */
async function insertDerived<Row>(messages: HeldMessage<Row>[], ctx: RangeContext<Row>, token: string, keepAlive: () => void): Promise<void> {
  const { app, sink } = ctx;
  const parts = messages.flatMap((message) => (message.conversion.derived ? [message.conversion.derived.part] : []));
  if (!sink.derived || parts.length === 0) return;
  // The tables are independent (each deduplicates on its own): inserted side by side, the write waits one round trip.
  const inserts = sink.derived.combine(parts).map(async ({ table, format, columns, rows, bytes }) => {
    try {
      await insertRows(app, ctx.log, { table, rows: { format, columns, parts: [bytes], rows }, token, maxDataAttempts: DERIVED_DATA_ATTEMPTS, signal: ctx.signal, keepAlive });
    } catch (error) {
      if (!isDataError(error)) throw error;
      ctx.log.error("rows derived from the written rows were refused; this write's rows of the table are left out", { table, from: sink.table, token, rows, error });
      app.metrics.writerDerivedDropped.inc({ table }, rows);
      return;
    }
    app.metrics.writerBatchRows.observe({ table }, rows);
    app.metrics.writerRows.inc({ table }, rows);
  });
  const failed = (await Promise.allSettled(inserts)).find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}

/** The rows of `messages` per table: encoded parts when the sink encodes, else row objects. */
function byTable<Row>(messages: HeldMessage<Row>[], sink: TableSink<Row>): Map<string, unknown[] | EncodedRows> {
  const encoded = messages.flatMap((message) => (message.conversion.encoded ? [message.conversion.encoded] : []));
  if (sink.encoding && encoded.length > 0) {
    const { format, columns } = sink.encoding;
    return new Map([[sink.table, { format, columns, parts: encoded.map((part) => part.bytes), rows: encoded.reduce((sum, part) => sum + part.rows, 0) }]]);
  }
  const rows = messages.flatMap((message) => message.conversion.rows);
  return sink.split ? sink.split(rows) : new Map([[sink.table, rows]]);
}
