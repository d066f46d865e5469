// Waiting for the stream writers to get past a point. A writer converts a message (checking tombstones) some time
// before it inserts the rows; an erasure must not delete before rows converted without its tombstones have landed,
// or they would land after it. So it notes how far each stream reaches and waits until the writer's ledger
// (ingest_checkpoints, see src/pipeline/ledger.ts) says it committed that far. The events writer is one per
// partition (src/domain/ingest/event-partitions.ts), each with its own ledger: every one of them is waited for.

import { sleep } from "../../domain/backoff.ts";
import { EVENTS_STREAM, partitionIndexOf, partitionStream } from "../../domain/ingest/event-partitions.ts";
import { discoverEventPartitions } from "../../infra/event-partition-streams.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Sql } from "../../infra/postgres.ts";

export interface StreamWriter {
  /** The stream's bare name (`events`). */
  stream: string;
  consumer: string;
}

/** The writers of every events partition. */
export const EVENTS_WRITER: StreamWriter = { stream: EVENTS_STREAM, consumer: "events-worker" };
export const PROFILE_WRITER: StreamWriter = { stream: "profiles", consumer: "profile-worker" };

/** The writers did not commit far enough within the bound: something is stuck, and an operator must look. */
export class WritersBehind extends Error {}

export interface WaitOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Called every few seconds while waiting (keeps a delivery alive). */
  onWait?: () => void;
}

/** Resolves once every writer has committed everything its stream held when this was called. */
export async function waitForWriters(sql: Sql, nats: Nats, writers: StreamWriter[], options: WaitOptions): Promise<void> {
  const targets: { writer: StreamWriter; stream: string; last: number }[] = [];
  const expanded: StreamWriter[] = [];
  for (const writer of writers) {
    if (writer.stream !== EVENTS_STREAM) expanded.push(writer);
    else for (let index = 0, count = await discoverEventPartitions(nats); index < count; index++) expanded.push({ ...writer, stream: partitionStream(index) });
  }
  for (const writer of expanded) {
    const stream = nats.names.stream(writer.stream);
    const { state } = await nats.jsm.streams.info(stream);
    // An empty stream has nothing on its way: every message it held was acknowledged, which follows the commit.
    if (state.messages > 0) targets.push({ writer, stream, last: state.last_seq });
  }
  const deadline = Date.now() + options.timeoutMs;
  let lastPing = Date.now();
  for (const target of targets) {
    for (;;) {
      if (options.signal.aborted) throw new Error("stopped while waiting for the stream writers");
      const [row] = await sql<{ committed_seq: string }[]>`
        SELECT committed_seq FROM ingest_checkpoints WHERE consumer = ${`${target.stream}/${target.writer.consumer}`}`;
      // A writer that never ran has no ledger row, and converted nothing: whatever it converts later, it converts
      // with the tombstones in view.
      if (!row || Number(row.committed_seq) >= target.last) break;
      const { state } = await nats.jsm.streams.info(target.stream);
      if (state.messages === 0 || state.first_seq > target.last) break;
      if (Date.now() > deadline) {
        throw new WritersBehind(
          `the ${target.writer.consumer} writer committed ${target.stream} up to ${row.committed_seq}, not yet ${target.last}, ` +
            `after ${Math.round(options.timeoutMs / 1000)} s: is \`pug worker ${partitionIndexOf(target.writer.stream) !== undefined ? "events" : "profile"}\` running and writing?`,
        );
      }
      if (Date.now() - lastPing > 10_000) {
        options.onWait?.();
        lastPing = Date.now();
      }
      await sleep(200, options.signal);
    }
  }
}
