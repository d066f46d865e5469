// `pug events replay-dlq`: moves dead-lettered events messages from `events_dlq` back onto the partition stream
// they came from, once what refused them is fixed (an enrichment or encoding bug, a ClickHouse schema mistake; see
// src/pipeline/dead-letter-replay.ts). A message goes back in the group format the worker reads on
// `<partition>.group`; one queued by a server from before group commit (a bare IngestBatch) is framed as a group of
// one. Events of a person erased meanwhile are dropped by the worker as they would have been. A message
// dead-lettered whole is forgotten by the worker's memory of recent requests, so replayed at once it is no repeat
// (src/domain/ingest/recent-requests.ts).

import { EVENTS_STREAM, partitionIndexOf, partitionStream } from "../../domain/ingest/event-partitions.ts";
import { asGroupMessage, GROUP_SUBJECT } from "../../domain/ingest/ingest-frames.ts";
import { discoverEventPartitions } from "../../infra/event-partition-streams.ts";
import type { Nats } from "../../infra/nats.ts";
import { type Replay, type ReplayOptions, replayDeadLetters } from "../../pipeline/dead-letter-replay.ts";

/** Every reason the events writer dead-letters for (src/workers/events/events-sink.ts, src/pipeline/). */
export const EVENTS_DEAD_LETTER_REASONS = ["undecodable", "unenrichable", "unencodable", "rejected_by_clickhouse"] as const;
/** What a replay moves unless told otherwise: all but bytes that are no message at all, which no fix changes. */
export const DEFAULT_EVENTS_REPLAY_REASONS: readonly string[] = ["unenrichable", "unencodable", "rejected_by_clickhouse"];
export const DEFAULT_EVENTS_REPLAY_SINCE = "7d";

export async function replayEventDeadLetters(nats: Nats, options: ReplayOptions): Promise<Replay> {
  const partitions = await discoverEventPartitions(nats);
  return await replayDeadLetters(nats, `${EVENTS_STREAM}_dlq`, options, async (letter) => {
    const stream = sourcePartition(nats, letter.header("Pug-Source-Stream"), partitions);
    return { subject: nats.names.subject(partitionStream(stream), GROUP_SUBJECT), data: asGroupMessage(letter.data) };
  });
}

/**
 * The partition a dead letter came from, by the full stream name it carries; partition 0 when that is missing or
 * names no partition of this installation (the order of a person's replayed events matters no more than their
 * time stamps say).
 */
function sourcePartition(nats: Nats, source: string, partitions: number): number {
  const own = `${nats.names.prefix}_`;
  const index = source.startsWith(own) ? partitionIndexOf(source.slice(own.length)) : undefined;
  return index !== undefined && index < partitions ? index : 0;
}
