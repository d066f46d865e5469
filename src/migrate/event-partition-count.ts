// The events partition count an installation already has, if any: recorded in partition 0's description when
// the partitions were made, or (a migrate interrupted before it got to that stream) the partition streams present.
// Undefined for a NATS never migrated and for an installation from before partitions: the next migrate makes them.

import { recordedPartitionCount } from "../domain/migrations/event-partition-declarations.ts";
import { EVENTS_STREAM, partitionIndexOf } from "../domain/ingest/event-partitions.ts";
import { ownStreams } from "../infra/event-partition-streams.ts";
import { isJetStreamNotFound, type Nats } from "../infra/nats.ts";

export async function fixedPartitionCount(nats: Pick<Nats, "jsm" | "names">): Promise<number | undefined> {
  let description: string | undefined;
  try {
    description = (await nats.jsm.streams.info(nats.names.stream(EVENTS_STREAM))).config.description;
  } catch (error) {
    if (!isJetStreamNotFound(error, "stream")) throw error;
  }
  const recorded = recordedPartitionCount(description);
  if (recorded !== undefined) return recorded;
  const highest = Math.max(0, ...(await ownStreams(nats)).map((name) => partitionIndexOf(name) ?? 0));
  return highest > 0 ? highest + 1 : undefined;
}
