// How the events partitions are shared among the live `pug worker events` instances: each holds at most its fair
// share, ceil(partitions / live instances). Under its share it tries to take free partitions; over it (an instance
// joined) it hands back partitions until it is at its share. A crashed instance's partitions are free at once
// (its locks ended with its connections); the others may take them as soon as it drops out of the live count.

export interface LeaseView {
  partitions: number;
  /** Live instances, this one included (at least 1). */
  live: number;
  /** Partitions this instance holds now. */
  held: readonly number[];
}

export interface LeasePlan {
  /** Hand these back (over the share), highest first. */
  release: number[];
  /** Try to take this many more of the partitions not held, in `candidates` order. */
  take: number;
  /** Partitions not held here, in the order to try them. */
  candidates: number[];
}

export function fairShare(partitions: number, live: number): number {
  return Math.ceil(partitions / Math.max(1, live));
}

/**
 * What to do next. `offset` spreads instances over different partitions first (each starts trying at its own
 * place), so two instances joining together rarely try for the same lock.
 */
export function leasePlan(view: LeaseView, offset = 0): LeasePlan {
  const share = fairShare(view.partitions, view.live);
  const held = new Set(view.held);
  const release = [...held].sort((a, b) => b - a).slice(0, Math.max(0, held.size - share));
  const candidates: number[] = [];
  for (let step = 0; step < view.partitions; step++) {
    const index = (offset + step) % view.partitions;
    if (!held.has(index)) candidates.push(index);
  }
  return { release, take: Math.max(0, share - held.size), candidates };
}
