// Writes one contiguous range of stream messages to ClickHouse under a token derived from the range, so writing
// the same range again (after a crash) is dropped by ClickHouse. Retries what ClickHouse could not take;
// isolates a message ClickHouse keeps rejecting and moves it to the dead-letter stream.

import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ClickHouseError } from "@clickhouse/client";
import type { App } from "../../app/app.ts";
import { backoffDelay, sleep } from "../../domain/backoff.ts";
import type { EventRow } from "../../domain/ingest/event-row.ts";
import type { ClientLookups, StageContext } from "../../domain/ingest/pipeline-types.ts";
import { type EnrichFailure, enrichBatch, needsLegacyClientFacts } from "../../domain/ingest/pipeline.ts";
import { type IngestBatch, IngestBatchSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { Nats } from "../../infra/nats.ts";
import { hmacHex, type SaltSource } from "../../infra/cookieless-salt.ts";
import { deadLetter } from "./dead-letter.ts";

/** A stream message the worker holds: delivered through the consumer (ackable) or read directly by sequence. */
export interface Item {
  seq: number;
  data: Uint8Array;
  batch: IngestBatch | undefined;
  decodeError: string | undefined;
  ack?: () => void;
  working?: () => void;
}

export function toItem(seq: number, data: Uint8Array, ack?: () => void, working?: () => void): Item {
  try {
    return { seq, data, batch: fromBinary(IngestBatchSchema, data), decodeError: undefined, ack, working };
  } catch (error) {
    return { seq, data, batch: undefined, decodeError: (error as Error).message, ack, working };
  }
}

export interface WriterDeps {
  app: App;
  nats: Nats;
  stream: string;
  salts: SaltSource;
  lookups: StageContext & Pick<ClientLookups, "geo">;
  signal: AbortSignal;
}

/** ClickHouse refused the data itself: retrying the same rows will not help. */
function isDataError(error: unknown): boolean {
  return error instanceof ClickHouseError && [6, 25, 26, 27, 38, 41, 43, 44, 53, 69, 70, 72, 117, 130, 131].includes(Number(error.code));
}

/** The rows of `items`, and the messages holding an event that could not be enriched (to be dead-lettered). */
export async function rowsOf(items: Item[], deps: WriterDeps): Promise<{ rows: EventRow[]; failed: { item: Item; failures: EnrichFailure[] }[] }> {
  const rows: EventRow[] = [];
  const failed: { item: Item; failures: EnrichFailure[] }[] = [];
  for (const item of items) {
    if (!item.batch) continue;
    let legacy: ClientLookups | undefined;
    if (needsLegacyClientFacts(item.batch)) {
      const salt = await deps.salts.forDay(item.batch.receivedAt ? timestampMs(item.batch.receivedAt) : Date.now());
      legacy = { geo: deps.lookups.geo, cookielessHash: (input) => hmacHex(salt, input) };
    }
    const enriched = enrichBatch(item.batch, { userAgent: deps.lookups.userAgent, legacy });
    rows.push(...enriched.rows);
    if (enriched.failures.length > 0) failed.push({ item, failures: enriched.failures });
  }
  return { rows, failed };
}

async function deadLetterFailed(failed: { item: Item; failures: EnrichFailure[] }[], deps: WriterDeps): Promise<void> {
  for (const { item, failures } of failed) {
    const detail = failures.map((f) => `${f.eventId}: ${f.reason}`).join("; ");
    deps.app.log.error("events could not be enriched; their message is dead-lettered, its other events stored", { role: "events", seq: item.seq, detail });
    await deadLetter(deps.nats, deps.stream, item.seq, item.data, "unenrichable", detail);
    deps.app.metrics.deadLettered.inc({ worker: "events", reason: "unenrichable" });
  }
}

/** Inserts `rows` for messages `first`..`last`; resolves once ClickHouse confirmed, or rejects on a data error. */
async function insertWithRetry(rows: EventRow[], first: number, last: number, items: Item[], deps: WriterDeps, maxDataAttempts: number): Promise<void> {
  const { app } = deps;
  const token = `${deps.nats.names.stream(deps.stream)}:${first}-${last}`;
  let lastKeepAlive = Date.now();
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      await app.clickhouse().insert({ table: "events", values: rows, format: "JSONEachRow", clickhouse_settings: { insert_deduplication_token: token, insert_deduplicate: 1 } });
      app.metrics.workerInsertSeconds.observe({ worker: "events" }, (performance.now() - started) / 1000);
      return;
    } catch (error) {
      if (isDataError(error) && attempt >= maxDataAttempts) throw error;
      if (deps.signal.aborted) throw error;
      const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
      app.log.warn("clickhouse insert failed; retrying", { role: "events", first, last, attempt, retry_in_ms: delay, error });
      await sleep(delay, deps.signal);
      // Holding messages longer than the consumer's ack_wait would get them redelivered: say we are on it.
      if (Date.now() - lastKeepAlive > 15_000) {
        for (const item of items) item.working?.();
        lastKeepAlive = Date.now();
      }
    }
  }
}

/**
 * Stores `items` (the contiguous messages `first`..`last`); `plan` and `commit` bracket every write.
 * Undecodable messages are dead-lettered at once; a message ClickHouse rejects five times is isolated and
 * dead-lettered.
 */
export async function writeRange(items: Item[], deps: WriterDeps, checkpoint: { plan(f: number, l: number): Promise<void>; commit(l: number): Promise<void> }): Promise<void> {
  const first = items[0]!.seq;
  const last = items.at(-1)!.seq;
  for (const item of items) {
    if (item.decodeError) {
      await deadLetter(deps.nats, deps.stream, item.seq, item.data, "undecodable", item.decodeError);
      deps.app.metrics.deadLettered.inc({ worker: "events", reason: "undecodable" });
    }
  }
  await checkpoint.plan(first, last);
  const { rows, failed } = await rowsOf(items, deps);
  await deadLetterFailed(failed, deps);
  try {
    if (rows.length > 0) await insertWithRetry(rows, first, last, items, deps, 5);
    record(deps, rows.length);
    await checkpoint.commit(last);
  } catch (error) {
    if (!isDataError(error)) throw error;
    deps.app.log.error("clickhouse keeps rejecting a batch; writing its messages one by one", { role: "events", first, last, error });
    for (const item of items) {
      await checkpoint.plan(item.seq, item.seq);
      const single = (await rowsOf([item], deps)).rows;
      try {
        if (single.length > 0) await insertWithRetry(single, item.seq, item.seq, [item], deps, 5);
        record(deps, single.length);
      } catch (itemError) {
        if (!isDataError(itemError)) throw itemError;
        await deadLetter(deps.nats, deps.stream, item.seq, item.data, "rejected_by_clickhouse", (itemError as Error).message);
        deps.app.metrics.deadLettered.inc({ worker: "events", reason: "rejected_by_clickhouse" });
      }
      await checkpoint.commit(item.seq);
    }
  }
}

function record(deps: WriterDeps, stored: number): void {
  deps.app.metrics.workerBatchEvents.observe({ worker: "events" }, stored);
  deps.app.metrics.workerEvents.inc({ worker: "events", outcome: "stored" }, stored);
}
