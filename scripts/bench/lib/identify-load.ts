// Identify calls sent the way the SDK sends them (binary Connect), for the profile benchmark: a saturating burst
// for throughput, and a paced run for the latency from the call to the merge applied in Postgres.

import type { Sql } from "../../../src/infra/postgres.ts";
import { type IdentifyCall, type SdkTarget, sendIdentify } from "../../../src/seed/sdk-wire.ts";

export type IdentifyTarget = SdkTarget;
export type IdentifyCallInit = IdentifyCall;

/** Sends `calls` with `concurrency` requests in flight, or paced at `perSecond` when given. */
export async function sendIdentifies(target: IdentifyTarget, calls: IdentifyCallInit[], options: { concurrency: number; perSecond?: number }): Promise<void> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (next < calls.length) {
      const index = next++;
      if (options.perSecond) {
        const due = started + (index * 1000) / options.perSecond;
        const wait = due - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
      const call = calls[index]!;
      call.traits.sent_ms = Date.now();
      await sendIdentify(target, call);
    }
  }));
}

/** Waits until `expected` rows of `table` (profiles or profile_aliases) have an id starting with `prefix`. */
export async function waitForRows(sql: Sql, table: "profiles" | "profile_aliases", projectId: string, prefix: string, expected: number, timeoutMs = 600_000): Promise<number> {
  const column = table === "profiles" ? "external_id" : "alias_id";
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(table)} WHERE project_id = ${projectId} AND ${sql(column)} LIKE ${prefix + "%"}`;
    if (row!.n >= expected) return performance.now();
    if (performance.now() > deadline) throw new Error(`only ${row!.n} of ${expected} ${table} rows after ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

/** Milliseconds from each call's send to its alias row (the merge's commit in Postgres), sorted. */
export async function mergeLatencies(sql: Sql, projectId: string, prefix: string): Promise<number[]> {
  const rows = await sql<{ ms: number }[]>`
    SELECT (extract(epoch FROM a.created_at) * 1000 - (p.traits ->> 'sent_ms')::float8)::float8 AS ms
    FROM profile_aliases a JOIN profiles p ON p.id = a.profile_id
    WHERE a.project_id = ${projectId} AND a.alias_id LIKE ${prefix + "%"}`;
  return rows.map((row) => row.ms).sort((a, b) => a - b);
}
