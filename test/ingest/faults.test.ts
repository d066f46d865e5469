// Whatever crashes, an accepted event is stored once: the worker killed mid-write, ClickHouse gone for 30 s,
// Redis gone, NATS gone.

import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { connectNats } from "../../src/infra/nats.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { startDevServer } from "../support/clickhouse-dev-process.ts";
import { backgroundLoad, expectExactlyOnce, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { startNats, startRedis } from "../support/private-servers.ts";
import { queuedEvents } from "../support/queued-events.ts";
import { batchBody, sdkEvent, sdkRequest, sendLoad, str } from "../support/sdk-events.ts";

describe("crash safety", () => {
  test("kill -9 of the worker between planning and committing a write, while events flow, loses and duplicates nothing", async () => {
    const stack = await ingestStack("crash", { env: { PUG_EVENTS_BATCH_MAX: "300", PUG_RATE_LIMIT_IP_RPS: "0", PUG_EVENTS_PARTITIONS: "4" } });
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      // Merges would collapse duplicate rows (ReplacingMergeTree) and hide a double write from count().
      await stack.ch.command({ query: "SYSTEM STOP MERGES events" });
      await stack.startWorker();
      const load = backgroundLoad(stack, { size: 20, pauseMs: 30 });
      for (let kill = 0; kill < 5; kill++) {
        // Wait for a write in flight (planned past committed); it lasts only milliseconds, so poll without pause.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const [row] = await sql<{ planned: string; committed: string }[]>`SELECT planned_last AS planned, committed_seq AS committed FROM ingest_checkpoints WHERE planned_last > committed_seq LIMIT 1`;
          if (row && Number(row.planned) > Number(row.committed)) break;
          if (Date.now() > deadline) throw new Error("no write in flight seen within 30 s");
        }
        stack.worker!.proc.kill("SIGKILL");
        await stack.worker!.proc.exited;
        await stack.startWorker();
      }
      const accepted = await load.stop();
      expect(accepted.size).toBeGreaterThan(1_000);
      await expectExactlyOnce(stack, accepted);
    } finally {
      await sql.end();
      await stack.stop();
    }
  }, 180_000);
});

describe("ClickHouse outage", () => {
  test("ClickHouse stopped for 30 s during a load: everything accepted meanwhile is stored once when it is back", async () => {
    const clickhouse = await startDevServer();
    const stack = await ingestStack("ch_outage", { worker: true, env: { CLICKHOUSE_URL: clickhouse.url, PUG_RATE_LIMIT_IP_RPS: "0" } });
    try {
      const before = await sendLoad(stack.baseUrl, stack.publicKey, stack.projectId, { batches: 20, size: 25 });
      await waitFor("the first events stored", async () => (await stack.stored()).rows === before.size, 20_000);

      expect(await clickhouse.stop("SIGTERM")).toBe(0);
      const outageEnds = Date.now() + 30_000;
      const during = await sendLoad(stack.baseUrl, stack.publicKey, stack.projectId, { batches: 60, size: 25, concurrency: 2, pauseMs: 400 });
      expect(await stack.queued()).toBeGreaterThan(0);
      await Bun.sleep(Math.max(0, outageEnds - Date.now()));
      await clickhouse.restart();

      await expectExactlyOnce(stack, new Set([...before, ...during]));
    } finally {
      await stack.stop();
      await clickhouse.dispose();
    }
  }, 180_000);
});

describe("Redis outage", () => {
  test("with Redis stopped, events are still accepted and stored, and the rate limiter's fail-open is counted", async () => {
    const redis = await startRedis();
    const stack = await ingestStack("redis_outage", { worker: true, env: { REDIS_URL: redis.url } });
    try {
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([sdkEvent(stack.projectId)]))).status).toBe(200);
      await redis.stop();
      const accepted = await sendLoad(stack.baseUrl, stack.publicKey, stack.projectId, { batches: 10, size: 5 });
      const cookieless = sdkEvent(stack.projectId, { cookieless: true, distinctId: "", sessionId: "" });
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([cookieless]))).status).toBe(200);
      await waitFor("events stored", async () => (await stack.stored()).rows === accepted.size + 2, 20_000);
      const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/pug_redis_fail_open_total\{purpose="rate_limit"\} [1-9]/);
    } finally {
      await stack.stop();
    }
  }, 60_000);
});

describe("NATS outage", () => {
  test("with NATS gone the server answers unavailable, so the SDK retries, and queues nothing half-way", async () => {
    const nats = await startNats();
    const stack = await ingestStack("nats_outage", { env: { NATS_URL: nats.url, PUG_EVENTS_PARTITIONS: "1" } });
    try {
      const before = sdkEvent(stack.projectId);
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([before]))).status).toBe(200);
      await stack.nats.close();
      await nats.pause();
      // Large enough to be split over several queue messages: none of them may be left behind.
      const big = () => sdkEvent(stack.projectId, { customProperties: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, str("x".repeat(1000))])) });
      const refused = [big(), big(), big(), big()];
      const response = await sdkRequest(stack.baseUrl, stack.publicKey, gzipSync(batchBody(refused)), { "content-encoding": "gzip" });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ code: "unavailable", message: "the event queue is unavailable; retry" });

      await nats.resume();
      const inspector = await connectNats({ url: nats.url, prefix: stack.env.PUG_NATS_PREFIX });
      try {
        const queued = [...(await queuedEvents(inspector)).keys()];
        expect(queued).toEqual([before.eventId]);
      } finally {
        await inspector.close();
      }
    } finally {
      await stack.server.stop();
      await stack.ch.close();
      await nats.stop();
    }
  }, 60_000);
});
