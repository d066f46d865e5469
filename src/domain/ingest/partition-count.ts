// How many events partitions an installation has, read from the streams that exist (nats-server 2.9 keeps no
// stream metadata to record it in): partitions are numbered 0…n-1 with none missing, so the count is the number
// of partition streams, and a hole in the numbering is a broken installation, not a smaller count.

import { partitionIndexOf, partitionStream } from "./event-partitions.ts";

/** Thrown for a set of partition streams that is not 0…n-1: the message names what is missing. */
export class PartitionGap extends Error {
  override name = "PartitionGap";
}

/** The partition count given the bare names of the streams present; 0 when there is none (never migrated). */
export function partitionCountOf(bareStreamNames: Iterable<string>): number {
  const indices = new Set<number>();
  for (const name of bareStreamNames) {
    const index = partitionIndexOf(name);
    if (index !== undefined) indices.add(index);
  }
  if (indices.size === 0) return 0;
  const highest = Math.max(...indices);
  const missing: string[] = [];
  for (let index = 0; index <= highest; index++) if (!indices.has(index)) missing.push(partitionStream(index));
  if (missing.length > 0) {
    throw new PartitionGap(`the events partitions are not complete: ${missing.join(", ")} missing of 0…${highest} (was a stream deleted?); run \`pug nats migrate\``);
  }
  return highest + 1;
}
