// Which distinct ids are erased (migrations/postgres/0006_data_subject_erasure.sql), as the writers see them: the
// events and profile writers drop data of an erased id received before the erasure's cutoff, so nothing in
// flight reappears after an erasure completed.
//
// Writers ask for every message, so the answer comes from a snapshot of the whole (small) table, reloaded once it
// is older than MAX_AGE_MS. The erasure worker relies on that bound: after writing tombstones it waits longer than
// MAX_AGE_MS before it notes how far the events stream reaches, so every message published after that point is
// converted with a snapshot that holds the tombstones. While Postgres cannot be read the check throws and the
// message waits: a stale answer could let an erased person's event through.

import type { Sql } from "../infra/postgres.ts";

export const TOMBSTONE_MAX_AGE_MS = 1_000;

/** How long tombstones stay after their erasure completed: longer than any queued message may wait (7 days). */
const KEEP_AFTER_CUTOFF = "8 days";

export interface TombstoneView {
  /** True when data for this id received at `receivedAtMs` must be dropped. */
  erased(projectId: string, distinctId: string, receivedAtMs: number): boolean;
  readonly size: number;
}

export interface ErasureTombstones {
  /** A view no older than TOMBSTONE_MAX_AGE_MS; throws while Postgres cannot be read. */
  current(): Promise<TombstoneView>;
}

export function erasureTombstones(sql: Sql, maxAgeMs = TOMBSTONE_MAX_AGE_MS): ErasureTombstones {
  let view: TombstoneView | undefined;
  let loadedFrom = -Infinity;
  let loading: { startedAt: number; done: Promise<TombstoneView> } | undefined;

  const load = (): Promise<TombstoneView> => {
    const startedAt = Date.now();
    const done = readView(sql).then((fresh) => {
      if (startedAt >= loadedFrom) {
        view = fresh;
        loadedFrom = startedAt;
      }
      return fresh;
    }).finally(() => {
      if (loading?.done === done) loading = undefined;
    });
    loading = { startedAt, done };
    return done;
  };

  return {
    async current() {
      const now = Date.now();
      if (view && now - loadedFrom <= maxAgeMs) return view;
      if (loading && now - loading.startedAt <= maxAgeMs) return loading.done;
      return load();
    },
  };
}

async function readView(sql: Sql): Promise<TombstoneView> {
  // Several requests may name one id: any running one blocks everything, otherwise the latest cutoff counts.
  const rows = await sql<{ project_id: string; distinct_id: string; running: boolean; cutoff: Date | null }[]>`
    SELECT project_id, distinct_id, bool_or(cutoff IS NULL) AS running, max(cutoff) AS cutoff
    FROM erasure_tombstones
    WHERE cutoff IS NULL OR cutoff > now() - ${KEEP_AFTER_CUTOFF}::interval
    GROUP BY project_id, distinct_id`;
  const cutoffs = new Map<string, number>();
  for (const row of rows) cutoffs.set(key(row.project_id, row.distinct_id), row.running ? Infinity : row.cutoff!.getTime());
  return {
    size: cutoffs.size,
    erased(projectId, distinctId, receivedAtMs) {
      if (cutoffs.size === 0) return false;
      const cutoff = cutoffs.get(key(projectId, distinctId));
      return cutoff !== undefined && receivedAtMs <= cutoff;
    },
  };
}

const key = (projectId: string, distinctId: string) => `${projectId.toLowerCase()}\n${distinctId}`;
