// The events stream's partitions as JetStream declarations: partition 0 is the `events` stream the files declare,
// and partitions 1…n-1 are its copies (`events_p<i>`), each with its own copy of the events consumer. All of them
// dead-letter into the one `events_dlq`.
//
// The size limit declared for `events` (or set by PUG_NATS_STREAM_LIMITS) is the budget of all partitions together,
// split equally: JetStream reserves every stream's max_bytes on disk when it is made, so n full-size partitions
// would need n times the disk an operator planned for (and `pug nats migrate` would fail with "insufficient
// storage resources" where it fit before). People hash evenly over partitions, so each fills at about the same rate.

import { EVENTS_STREAM, partitionStream } from "../ingest/event-partitions.ts";
import type { ConsumerSpec, NatsDeclarations, StreamSpec } from "./nats-declarations.ts";

/** The marker in partition 0's description that fixes the count: `(partition 0 of 4)`. */
const COUNT_MARK = /\(partition 0 of (\d+)\)$/;

/** The partition count recorded in the `events` stream's description, or undefined before partitions existed. */
export function recordedPartitionCount(description: string | undefined): number | undefined {
  const match = description ? COUNT_MARK.exec(description) : null;
  return match ? Number(match[1]) : undefined;
}

/** `declared` with the events stream and its consumers made into `count` partitions. */
export function withEventPartitions(declared: NatsDeclarations, prefix: string, count: number): NatsDeclarations {
  if (!Number.isInteger(count) || count < 1) throw new Error(`the events partition count must be a whole number ≥ 1, got ${count}`);
  const base = declared.streams.find((stream) => stream.name === `${prefix}_${EVENTS_STREAM}`);
  if (!base) throw new Error(`no ${EVENTS_STREAM} stream is declared to partition`);
  const streams: StreamSpec[] = [];
  for (let index = 0; index < count; index++) {
    const bare = partitionStream(index);
    const name = `${prefix}_${bare}`;
    streams.push({
      ...base,
      name,
      description: `${base.description ?? "Events"} (partition ${index} of ${count})`,
      subjects: [`${prefix}.${bare}.>`],
      max_bytes: base.max_bytes > 0 ? Math.max(1, Math.floor(base.max_bytes / count)) : base.max_bytes,
    });
  }
  // Each partition's copies take the place of the original, so the events come first as before.
  const copies = (consumer: ConsumerSpec) =>
    consumer.stream !== base.name ? [consumer] : streams.map((stream) => ({ ...consumer, stream: stream.name, filter_subject: stream.subjects[0]! }));
  return {
    streams: declared.streams.flatMap((stream) => (stream === base ? streams : [stream])),
    consumers: declared.consumers.flatMap(copies),
  };
}
