// When sent events become queryable in the benchmark's ClickHouse database.

import type { ClickHouseClient } from "@clickhouse/client";

export async function eventCount(ch: ClickHouseClient): Promise<number> {
  const rows = await (await ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" })).json<{ n: string }>();
  return Number(rows[0]!.n);
}

/** Polls until `total` rows are queryable; resolves with the time (performance.now()) they were. */
export async function waitForCount(ch: ClickHouseClient, total: number, options: { timeoutMs: number; everyMs?: number; alive?: () => void }): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    options.alive?.();
    const n = await eventCount(ch);
    if (n >= total) return performance.now();
    if (performance.now() > deadline) throw new Error(`only ${n.toLocaleString()} of ${total.toLocaleString()} events queryable after ${options.timeoutMs / 1000} s`);
    await Bun.sleep(options.everyMs ?? 100);
  }
}

/**
 * Watches batches whose events carry a distinct id of their own (`${prefix}-${i}`, as ingest-bodies.ts makes them)
 * and records when each batch's `size` events are all queryable.
 */
export class BatchVisibility {
  readonly visibleAt: number[] = [];
  private seen = 0;

  constructor(private readonly ch: ClickHouseClient, private readonly prefix: string, private readonly size: number) {}

  /** Checks the batches sent so far (those with a send time) that were not yet seen. */
  async poll(sentAt: number[]): Promise<void> {
    const pending: string[] = [];
    for (let i = 0; i < sentAt.length; i++) if (sentAt[i] !== undefined && this.visibleAt[i] === undefined) pending.push(`${this.prefix}-${i}`);
    for (let at = 0; at < pending.length; at += 2000) {
      const ids = pending.slice(at, at + 2000).map((id) => `'${id}'`).join(",");
      const rows = await (await this.ch.query({ query: `SELECT distinct_id AS id, count() AS n FROM events WHERE distinct_id IN (${ids}) GROUP BY distinct_id`, format: "JSONEachRow" })).json<{ id: string; n: string }>();
      const now = performance.now();
      for (const row of rows) {
        if (Number(row.n) < this.size) continue;
        const i = Number(row.id.slice(this.prefix.length + 1));
        if (this.visibleAt[i] === undefined) {
          this.visibleAt[i] = now;
          this.seen++;
        }
      }
    }
  }

  allSeen(batches: number): boolean {
    return this.seen >= batches;
  }
}
