// The live `pug worker events` instances (migrations/postgres/0010_events_workers.sql): each beats about every
// second and counts the others that did lately, which sets its fair share of the partitions.

import { hostname } from "node:os";
import type { Sql } from "../../infra/postgres.ts";

/** An instance not heard from for this long is gone (its partition locks went with its connections already). */
export const LIVE_WITHIN_MS = 3_000;
/** Rows of instances gone this long are removed by whoever beats next. */
const FORGET_AFTER_MS = 3_600_000;

export interface WorkerRegistry {
  /** Records that this instance is alive and holds `partitions`; resolves with the live instances, itself included. */
  beat(partitions: number[]): Promise<number>;
  /** This instance stops: the others need not wait for its beats to age. */
  leave(): Promise<void>;
}

export function workerRegistry(sql: Sql): WorkerRegistry {
  const id = crypto.randomUUID();
  const host = hostname();
  return {
    async beat(partitions) {
      await sql`
        INSERT INTO events_workers (id, host, pid, partitions) VALUES (${id}, ${host}, ${process.pid}, ${partitions})
        ON CONFLICT (id) DO UPDATE SET partitions = excluded.partitions, heartbeat_at = now()`;
      const [row] = await sql<{ live: string }[]>`
        WITH forgotten AS (DELETE FROM events_workers WHERE heartbeat_at < now() - make_interval(secs => ${FORGET_AFTER_MS / 1000}))
        SELECT count(*) AS live FROM events_workers WHERE heartbeat_at > now() - make_interval(secs => ${LIVE_WITHIN_MS / 1000})`;
      return Math.max(1, Number(row?.live ?? 1));
    },
    async leave() {
      await sql`DELETE FROM events_workers WHERE id = ${id}`;
    },
  };
}
