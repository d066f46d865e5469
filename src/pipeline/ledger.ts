// A writer's position in its stream, in Postgres (see migrations/postgres/0004_ingest_checkpoints.sql): the last
// sequence committed, and the range planned but not yet committed. Written on the connection that holds the
// writer's leadership lock: if that connection dies, so do the writes.

import type { ReservedSql } from "postgres";

export interface Checkpoint {
  committed: number;
  plannedFirst: number;
  plannedLast: number;
}

export interface Ledger {
  load(): Promise<Checkpoint>;
  plan(first: number, last: number): Promise<void>;
  commit(last: number): Promise<void>;
}

export function ledger(conn: ReservedSql, consumer: string): Ledger {
  return {
    async load() {
      await conn`INSERT INTO ingest_checkpoints (consumer) VALUES (${consumer}) ON CONFLICT (consumer) DO NOTHING`;
      const [row] = await conn<{ committed_seq: string; planned_first: string; planned_last: string }[]>`
        SELECT committed_seq, planned_first, planned_last FROM ingest_checkpoints WHERE consumer = ${consumer}`;
      return { committed: Number(row!.committed_seq), plannedFirst: Number(row!.planned_first), plannedLast: Number(row!.planned_last) };
    },
    async plan(first, last) {
      await conn`UPDATE ingest_checkpoints SET planned_first = ${first}, planned_last = ${last}, updated_at = now() WHERE consumer = ${consumer}`;
    },
    async commit(last) {
      await conn`UPDATE ingest_checkpoints SET committed_seq = ${last}, updated_at = now() WHERE consumer = ${consumer}`;
    },
  };
}
