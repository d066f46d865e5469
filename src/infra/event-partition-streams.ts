// The events partitions of this installation, as NATS holds them: the partition streams that exist (see
// src/domain/ingest/partition-count.ts). The count is fixed once migrated, so a process asks NATS rarely: a
// known count is kept for a while, and asked again only after that (an older installation gains its partitions
// on its next migrate, and a running server should follow without a restart).

import { partitionStream } from "../domain/ingest/event-partitions.ts";
import { partitionCountOf } from "../domain/ingest/partition-count.ts";
import type { Nats } from "./nats.ts";

/** How long a discovered count is trusted before NATS is asked again. */
const KEEP_MS = 30_000;

/** The partition count, from the stream names NATS lists; throws when there is none or when one is missing. */
export async function discoverEventPartitions(nats: Pick<Nats, "jsm" | "names">): Promise<number> {
  const count = partitionCountOf(await ownStreams(nats));
  if (count === 0) throw new Error(`NATS has no ${nats.names.stream("events")} stream: run \`pug nats migrate\``);
  return count;
}

/** The bare names of this installation's streams (those named with its prefix). */
export async function ownStreams(nats: Pick<Nats, "jsm" | "names">): Promise<string[]> {
  const own = `${nats.names.prefix}_`;
  const bare: string[] = [];
  for await (const name of nats.jsm.streams.names(nats.names.subject(">"))) {
    if (name.startsWith(own)) bare.push(name.slice(own.length));
  }
  return bare;
}

export interface EventPartitions {
  /** The partition count, at most KEEP_MS old. */
  count(): Promise<number>;
  /** The bare names of every partition's stream, partition 0 first. */
  streams(): Promise<string[]>;
}

export function eventPartitions(nats: () => Promise<Nats>, keepMs = KEEP_MS): EventPartitions {
  let known: { count: number; at: number } | undefined;
  let asking: Promise<number> | undefined;
  const count = async () => {
    if (known && Date.now() - known.at < keepMs) return known.count;
    asking ??= (async () => discoverEventPartitions(await nats()))().finally(() => {
      asking = undefined;
    });
    const discovered = await asking;
    known = { count: discovered, at: Date.now() };
    return discovered;
  };
  return {
    count,
    async streams() {
      return Array.from({ length: await count() }, (_, index) => partitionStream(index));
    },
  };
}
