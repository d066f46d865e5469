// Events queued straight into the events partitions, as intake queues them (one IngestBatch per message on
// `<prefix>.<partition stream>.ingest`, a person's events in the partition partitionOf picks), without a server:
// for the tests and benchmarks of the workers that share the partitions.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { partitionOf, partitionStream } from "../../src/domain/ingest/event-partitions.ts";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import type { Nats } from "../../src/infra/nats.ts";
import { CHROME_UA, sdkEvent } from "./sdk-events.ts";

export interface PartitionLoad {
  /** Every event id published (each publish was acknowledged by JetStream). */
  ids: Set<string>;
  /** Messages published per partition. */
  perPartition: number[];
}

/** Publishes `batches` messages of `size` events, each from a person of its own, `concurrency` publishes at a time. */
export async function publishPartitioned(
  nats: Nats,
  projectId: string,
  options: { batches: number; size: number; partitions: number; concurrency?: number; until?: () => boolean; pauseMs?: number },
  into: PartitionLoad = { ids: new Set(), perPartition: new Array(options.partitions).fill(0) },
): Promise<PartitionLoad> {
  let next = 0;
  const receivedAt = timestampFromMs(Date.now());
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, async () => {
    while ((options.batches === 0 || next < options.batches) && (options.until?.() ?? true)) {
      const person = `anon-${crypto.randomUUID()}`;
      next++;
      const events = Array.from({ length: options.size }, () => sdkEvent(projectId, { distinctId: person }));
      const partition = partitionOf(projectId, person, options.partitions);
      const body = toBinary(IngestBatchSchema, create(IngestBatchSchema, { projectId, receivedAt, userAgent: CHROME_UA, client: { country: "NL" }, events }));
      await nats.js.publish(nats.names.subject(partitionStream(partition), "ingest"), body, { msgID: events[0]!.eventId });
      for (const event of events) into.ids.add(event.eventId);
      into.perPartition[partition]!++;
      if (options.pauseMs) await Bun.sleep(options.pauseMs);
    }
  }));
  return into;
}

/** Messages waiting in every partition of the events stream. */
export async function queuedInPartitions(nats: Nats, partitions: number): Promise<number> {
  let total = 0;
  for (let index = 0; index < partitions; index++) total += (await nats.jsm.streams.info(nats.names.stream(partitionStream(index)))).state.messages;
  return total;
}
