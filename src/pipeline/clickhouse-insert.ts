// One insert of one range into ClickHouse, under the range's deduplication token: written again after a crash,
// ClickHouse drops the repeat. Failures ClickHouse may recover from (down, overloaded, a timeout) are retried
// without end; a refusal of the data itself is retried a few times, then reported so the range can be split.

import { Readable } from "node:stream";
import { type ClickHouseClient, ClickHouseError } from "@clickhouse/client";
import type { App } from "../app/app.ts";
import { backoffDelay, sleep } from "../domain/backoff.ts";
import { mergeNativeBlocks } from "../domain/sql/native-block-merge.ts";
import type { Logger } from "../logger.ts";

/** Encoded blocks of one write that cannot be joined into one (a block that is not what the encoder writes). */
export class UnsendableRows extends Error {
  override name = "UnsendableRows";
}

/**
 * The rows themselves are at fault (ClickHouse refused a value, type, size or constraint, or their blocks do not
 * join): the same rows will fail again, and the writer isolates the message at fault.
 */
export function isDataError(error: unknown): boolean {
  return error instanceof UnsendableRows || (error instanceof ClickHouseError && DATA_ERROR_CODES.has(Number(error.code)));
}

const DATA_ERROR_CODES = new Set([6, 25, 26, 27, 38, 41, 43, 44, 53, 69, 70, 72, 117, 130, 131, 190, 321, 407, 469]);

/** Rows already encoded (see RowEncoding in ./types.ts): the format, the columns in order, the blocks (joined into one when sent). */
export interface EncodedRows {
  format: "Native";
  columns: readonly string[];
  parts: Uint8Array[];
  rows: number;
}

export interface InsertRequest<Row> {
  table: string;
  /** The rows as JSONEachRow objects, or already encoded. */
  rows: Row[] | EncodedRows;
  token: string;
  /** A data error is given up on after this many attempts; other failures are retried until `signal` aborts. */
  maxDataAttempts: number;
  signal: AbortSignal;
  /** Called while retrying, at most every 15 s, so messages held meanwhile are not redelivered. */
  keepAlive: () => void;
}

export async function insertRows<Row>(app: App, log: Logger, request: InsertRequest<Row>): Promise<void> {
  const rows = joined(request.rows);
  let lastKeepAlive = Date.now();
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      await sendRows(app.clickhouse(), { ...request, rows });
      app.metrics.writerInsertSeconds.observe({ table: request.table }, (performance.now() - started) / 1000);
      return;
    } catch (error) {
      app.metrics.writerInsertFailures.inc({ table: request.table, kind: isDataError(error) ? "data" : "unavailable" });
      if (isDataError(error) && attempt >= request.maxDataAttempts) throw error;
      if (request.signal.aborted) throw error;
      const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
      log.warn("clickhouse insert failed; retrying", { token: request.token, rows: rowsOf(request), attempt, retry_in_ms: delay, error });
      await sleep(delay, request.signal);
      if (Date.now() - lastKeepAlive > 15_000) {
        request.keepAlive();
        lastKeepAlive = Date.now();
      }
    }
  }
}

/** One attempt: the rows of `request` into its table, under its token. */
export async function sendRows<Row>(client: ClickHouseClient, request: Pick<InsertRequest<Row>, "table" | "rows" | "token">): Promise<void> {
  // optimize_on_insert 0: ClickHouse would otherwise collapse each inserted block by its table's engine (replacing,
  // summing, aggregating rows of one key) before storing it, and the blocks its views insert too. Readers combine
  // rows across parts anyway (a key's rows land in several parts whatever is done here) and merges collapse them;
  // done at insert it cost the events insert and its views about a quarter of ClickHouse's CPU
  // (scripts/bench/ingest.ts, drain: 29 → 21 µs an event on the dev server).
  const settings = { insert_deduplication_token: request.token, insert_deduplicate: 1, optimize_on_insert: 0 } as const;
  const { rows } = request;
  if (Array.isArray(rows)) {
    await client.insert({ table: request.table, values: rows, format: "JSONEachRow", clickhouse_settings: settings });
    return;
  }
  // The client sends `values` as the body as it is, and the statement (with its FORMAT) as the query parameter.
  // One block per message would cost ClickHouse about twice the CPU of one block for the whole insert.
  const result = await client.exec({
    query: `INSERT INTO ${request.table} (${rows.columns.join(", ")}) FORMAT ${rows.format}`,
    values: Readable.from([rows.parts.length === 1 ? rows.parts[0]! : mergeNativeBlocks(rows.parts)], { objectMode: false }),
    clickhouse_settings: settings,
  });
  // An INSERT answers with an empty body; reading it to the end frees the connection.
  for await (const _ of result.stream) void _;
}

/** Encoded rows as one block, joined (and a lone block walked) once for every attempt. */
function joined<Row>(rows: Row[] | EncodedRows): Row[] | EncodedRows {
  if (Array.isArray(rows) || rows.parts.length === 0) return rows;
  try {
    return { ...rows, parts: [mergeNativeBlocks(rows.parts)] };
  } catch (error) {
    throw new UnsendableRows(`the write's Native blocks do not join: ${(error as Error).message}`, { cause: error });
  }
}

function rowsOf<Row>(request: InsertRequest<Row>): number {
  return Array.isArray(request.rows) ? request.rows.length : request.rows.rows;
}
