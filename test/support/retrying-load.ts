// A load generator that behaves like the SDK: each batch is sent until it is answered 200, retrying the same body
// after a refused or dropped connection or a retryable status. Reports which events were accepted.

import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { batchBody, sdkEvent, sdkRequest } from "./sdk-events.ts";

export interface RetryingLoad {
  /** Event ids answered 200 so far. */
  accepted: string[];
  /** Attempts that failed and were retried. */
  retries: number;
  /** Ask the senders to finish their current batch and stop. */
  stop(): void;
  done: Promise<void>;
}

export function retryingLoad(baseUrl: string, projectId: string, publicKey: string, options: { concurrency?: number; batch?: number; maxBatches?: number } = {}): RetryingLoad {
  const batch = options.batch ?? 50;
  let stopped = false;
  let sent = 0;
  const load: RetryingLoad = { accepted: [], retries: 0, stop: () => (stopped = true), done: Promise.resolve() };
  const sender = async () => {
    while (!stopped && sent < (options.maxBatches ?? Infinity)) {
      sent++;
      const events = Array.from({ length: batch }, () => sdkEvent(projectId));
      const body = batchBody(events);
      for (let attempt = 1; ; attempt++) {
        const status = await sdkRequest(baseUrl, publicKey, body).then(
          async (response) => (await response.arrayBuffer(), response.status),
          () => 0,
        );
        if (status === 200) break;
        // What the SDK retries (pug-wire-contract.md): no answer, 408/429 (rate limits), 502/503.
        if (![0, 408, 429, 502, 503].includes(status)) throw new Error(`a batch was answered ${status}, which the SDK does not retry`);
        if (attempt > 100) throw new Error("a batch failed 100 times in a row");
        load.retries++;
        await Bun.sleep(Math.min(1_000, 20 * attempt));
      }
      load.accepted.push(...events.map((e) => e.eventId));
    }
  };
  load.done = Promise.all(Array.from({ length: options.concurrency ?? 8 }, sender)).then(() => {});
  return load;
}

/** Rows of the events table and distinct event ids among them. */
export async function storedEvents(env: { CLICKHOUSE_URL: string; CLICKHOUSE_DATABASE: string }): Promise<{ rows: number; ids: number }> {
  const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  try {
    const result = await ch.query({ query: "SELECT count() AS rows, uniqExact(event_id) AS ids FROM events", format: "JSONEachRow" });
    const [row] = await result.json<{ rows: string; ids: string }>();
    return { rows: Number(row!.rows), ids: Number(row!.ids) };
  } finally {
    await ch.close();
  }
}
