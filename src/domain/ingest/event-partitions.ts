// The events stream is split into a fixed number of partitions (streams), chosen when NATS is first migrated.
// Partition 0 keeps the original stream's name, so messages queued before partitions existed are still partition
// 0's to write; partition i > 0 is `events_p<i>`. A request's events go to the partition of the person who sent
// them (project and distinct id, or the cookieless visitor hash), so one person's events stay in one ordered ledger.

export const EVENTS_STREAM = "events";

/** The most partitions an installation may have (PUG_EVENTS_PARTITIONS). */
export const MAX_EVENT_PARTITIONS = 32;

/** The stream (bare name) of partition `index`. */
export function partitionStream(index: number): string {
  return index === 0 ? EVENTS_STREAM : `${EVENTS_STREAM}_p${index}`;
}

/** The partition index of a partition stream's bare name, or undefined for any other stream. */
export function partitionIndexOf(stream: string): number | undefined {
  if (stream === EVENTS_STREAM) return 0;
  const match = /^events_p([1-9]\d*)$/.exec(stream);
  return match ? Number(match[1]) : undefined;
}

/**
 * The partition of a person's events: FNV-1a (32 bit) of the project id and the person key, modulo `count`. Stable
 * across processes, versions and machines: every server must route a person to the same partition.
 */
export function partitionOf(projectId: string, personKey: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`partition count must be a whole number ≥ 1, got ${count}`);
  if (count === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(`${projectId}\n${personKey}`)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

const encoder = new TextEncoder();
