// The Query cache against a real Redis: answers reused per project and per question, stored with the key's TTL,
// not stored when too large; a Redis that is down or silent costs at most the 50 ms read and is counted and logged
// once, never failing the query. Then the same through a running `pug server` (TRENDS queries): hits counted in
// /metrics, a new event visible once a live range's TTL passed, no answer shared between projects, and a server
// whose Redis is down still answering.

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMetrics, type Metrics } from "../../src/app/metrics.ts";
import { LIVE_TTL_SECONDS, type QueryCacheKey } from "../../src/domain/insights/cache-key.ts";
import { AggregationType, Granularity, InsightType, type QueryResponse, QueryResponseSchema } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { createRedis, type Redis } from "../../src/infra/redis.ts";
import { createLogger } from "../../src/logger.ts";
import { queryCache } from "../../src/server/shared/query-cache.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { type SeedEvent, seedEvents, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { freePort, waitFor } from "../support/ports.ts";
import { startRedis } from "../support/private-servers.ts";
import { type RunningPug, startPug, waitForHttp } from "../support/pug-process.ts";

const PROJECT_A = crypto.randomUUID();
const PROJECT_B = crypto.randomUUID();
const prefix = `pugtest-cache-${crypto.randomUUID().slice(0, 8)}`;
let redis: Redis;

beforeAll(async () => {
  redis = createRedis({ url: process.env.REDIS_URL!, prefix });
  await redis.connect();
});
afterAll(async () => {
  const keys: string[] = await redis.client.send("KEYS", [`${prefix}:*`]);
  if (keys.length > 0) await redis.client.send("DEL", keys);
  redis.close();
});

const answer = (total: number): QueryResponse => create(QueryResponseSchema, { result: { case: "segmentation", value: { total } } });
const key = (projectId: string, digest: string, ttlSeconds = 30): QueryCacheKey => ({ parts: ["insights", "q1", projectId, digest], ttlSeconds });

function counting(total: number) {
  const calls = { n: 0 };
  return { calls, compute: async () => (calls.n++, answer(total)) };
}

async function counter(metrics: Metrics, outcome: string): Promise<number> {
  const metric = await metrics.insightsCache.get();
  return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

function logged() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level: "warn", write: (line) => lines.push(JSON.parse(line)) }) };
}

describe("query cache on a real Redis", () => {
  test("the second identical question is answered from Redis, counted as a hit; another project's key never sees it", async () => {
    const metrics = createMetrics();
    const cache = queryCache(redis, metrics, logged().log);
    const first = counting(42);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "d1"), first.compute)).toEqual(answer(42));
    await Bun.sleep(20); // the store is not awaited by the request
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "d1"), first.compute)).toEqual(answer(42));
    expect(first.calls.n).toBe(1);
    expect(await counter(metrics, "hit")).toBe(1);
    expect(await counter(metrics, "miss")).toBe(1);

    const other = counting(7);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_B, "d1"), other.compute)).toEqual(answer(7));
    expect(other.calls.n).toBe(1);
    expect(await counter(metrics, "miss")).toBe(2);
  });

  test("entries live as long as the key says: 30 s for the past, 5 s for live ranges", async () => {
    const cache = queryCache(redis, createMetrics(), logged().log);
    await cache.answer(QueryResponseSchema, key(PROJECT_A, "settled", 30), counting(1).compute);
    await cache.answer(QueryResponseSchema, key(PROJECT_A, "live", 5), counting(1).compute);
    await Bun.sleep(20);
    const ttl = (digest: string) => redis.client.send("TTL", [redis.key("insights", "q1", PROJECT_A, digest)]);
    expect(await ttl("settled")).toBeOneOf([29, 30]);
    expect(await ttl("live")).toBeOneOf([4, 5]);
  });

  test("a live entry expires: after its TTL the question is computed again", async () => {
    const cache = queryCache(redis, createMetrics(), logged().log);
    let total = 1;
    const compute = async () => answer(total);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "expiring", 1), compute)).toEqual(answer(1));
    total = 2; // a new event arrived
    await Bun.sleep(20);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "expiring", 1), compute)).toEqual(answer(1));
    await Bun.sleep(1_100);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "expiring", 1), compute)).toEqual(answer(2));
  });

  test("an answer over the size cap is returned but not stored", async () => {
    const metrics = createMetrics();
    const cache = queryCache(redis, metrics, logged().log, { maxBytes: 8 });
    const big = create(QueryResponseSchema, { result: { case: "topK", value: { rows: [{ dimensionValue: "x".repeat(64), value: 1 }] } } });
    const calls = { n: 0 };
    const compute = async () => (calls.n++, big);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "big"), compute)).toEqual(big);
    await Bun.sleep(20);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "big"), compute)).toEqual(big);
    expect(calls.n).toBe(2);
    expect(await counter(metrics, "too_large")).toBe(2);
    expect(await redis.client.exists(redis.key("insights", "q1", PROJECT_A, "big"))).toBe(false);
  });

  test("an entry that does not decode is a get error: the query runs", async () => {
    const metrics = createMetrics();
    const { lines, log } = logged();
    await redis.client.set(redis.key("insights", "q1", PROJECT_A, "garbage"), new Uint8Array([0xff, 0xff, 0xff]), "EX", 30);
    const cache = queryCache(redis, metrics, log);
    expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "garbage"), counting(3).compute)).toEqual(answer(3));
    expect(await counter(metrics, "get_error")).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("insights cache: redis get failed")]);
  });

  test("the query's own failure propagates and nothing is stored", async () => {
    const cache = queryCache(redis, createMetrics(), logged().log);
    await expect(cache.answer(QueryResponseSchema, key(PROJECT_A, "failing"), async () => Promise.reject(new Error("ClickHouse said no")))).rejects.toThrow("ClickHouse said no");
    expect(await redis.client.exists(redis.key("insights", "q1", PROJECT_A, "failing"))).toBe(false);
  });
});

describe("query cache without Redis", () => {
  test("Redis down: every query is answered, failures counted, one warning per interval", async () => {
    const down = createRedis({ url: `redis://127.0.0.1:${freePort()}`, prefix, connectTimeoutMs: 200 });
    down.connect().catch(() => undefined); // keeps retrying in the background, as the app's client does
    const metrics = createMetrics();
    const { lines, log } = logged();
    const cache = queryCache(down, metrics, log);
    const { calls, compute } = counting(5);
    for (let i = 0; i < 3; i++) expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "down"), compute)).toEqual(answer(5));
    await Bun.sleep(20);
    expect(calls.n).toBe(3);
    expect(await counter(metrics, "get_error")).toBe(3);
    expect(await counter(metrics, "hit")).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", msg: expect.stringContaining("insights cache: redis get failed") });
    down.close();
  });

  test("Redis stalled (connected, answering nothing): the read gives up after 50 ms and the query runs", async () => {
    const server = await startRedis();
    const stalled = createRedis({ url: server.url, prefix });
    const admin = createRedis({ url: server.url, prefix });
    try {
      await stalled.connect();
      await admin.connect();
      await admin.client.send("CLIENT", ["PAUSE", "1000", "ALL"]);
      const metrics = createMetrics();
      const cache = queryCache(stalled, metrics, logged().log);
      const started = performance.now();
      expect(await cache.answer(QueryResponseSchema, key(PROJECT_A, "stalled"), counting(9).compute)).toEqual(answer(9));
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(49);
      expect(elapsed).toBeLessThan(500);
      expect(await counter(metrics, "get_error")).toBe(1);
      expect(await counter(metrics, "miss")).toBe(0);
    } finally {
      stalled.close();
      admin.close();
      await server.stop();
    }
  });
});

describe("the cache in a running server", () => {
  const HOUR = 3_600_000;
  const started = Date.now();
  const settled = { from: timestampFromMs(started - 48 * HOUR), to: timestampFromMs(started - HOUR) };
  const live = { from: timestampFromMs(started - 48 * HOUR), to: timestampFromMs(started + HOUR) };
  let stack: IngestStack;
  let other: CreatedProject;
  let noRedis: { server: RunningPug; baseUrl: string; adminUrl: string } | undefined;

  const visits = (project_id: string, count: number, hoursAgo: number): SeedEvent[] =>
    Array.from({ length: count }, (_, i) => ({ project_id, distinct_id: `v${i}`, kind: "visit", occurred_at: new Date(started - hoursAgo * HOUR - i * 60_000) }));

  beforeAll(async () => {
    stack = await ingestStack("insights_cache");
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    other = await createProject(sql, "other project").finally(() => sql.end());
    await seedEvents(stack.ch, [...visits(stack.projectId, 3, 5), ...visits(other.projectId, 5, 5)]);
    const probe = sharedClients(stack.baseUrl, false).insights;
    await waitFor("the other project's key to work", () => probe.query(trends(settled), withKey(other.privateKey)).then(() => true, () => false));
  });
  afterAll(async () => {
    await noRedis?.server.stop();
    await stack?.stop();
  });

  const trends = (timeRange: typeof settled) => ({
    spec: { insightType: InsightType.TRENDS, events: [{ event: { kind: "visit" }, aggregation: AggregationType.TOTAL }] },
    timeRange,
    granularity: Granularity.HOUR,
  });
  async function total(baseUrl: string, key: string, timeRange: typeof settled, binary = false): Promise<number> {
    const response = await sharedClients(baseUrl, binary).insights.query(trends(timeRange), withKey(key));
    if (response.result.case !== "trends") throw new Error(`not trends: ${response.result.case}`);
    return response.result.value.series.flatMap((s) => s.points).reduce((sum, p) => sum + p.value, 0);
  }
  async function scraped(adminUrl: string, outcome: string): Promise<number> {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    return Number(new RegExp(`^pug_insights_cache_total\\{outcome="${outcome}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
  }

  test("the same question twice: the second is a cache hit in /metrics, in JSON and binary alike", async () => {
    const hits = await scraped(stack.adminUrl, "hit");
    const misses = await scraped(stack.adminUrl, "miss");
    expect(await total(stack.baseUrl, stack.privateKey, settled, false)).toBe(3);
    await Bun.sleep(50);
    expect(await total(stack.baseUrl, stack.privateKey, settled, true)).toBe(3);
    expect(await scraped(stack.adminUrl, "miss")).toBe(misses + 1);
    expect(await scraped(stack.adminUrl, "hit")).toBe(hits + 1);
  });

  test("an event explorer page asked twice is a cache hit, per project", async () => {
    const page = (key: string) => sharedClients(stack.baseUrl, false).activity.getEventExplorer({ events: [{ kind: "visit" }], timeRange: settled }, withKey(key));
    const hits = await scraped(stack.adminUrl, "hit");
    expect((await page(stack.privateKey)).events).toHaveLength(3);
    await Bun.sleep(50);
    expect((await page(stack.privateKey)).events).toHaveLength(3);
    expect(await scraped(stack.adminUrl, "hit")).toBe(hits + 1);
    expect((await page(other.privateKey)).events).toHaveLength(5);
  });

  test("a filter schema asked twice is a cache hit, through insights and activity alike, per project", async () => {
    const clients = sharedClients(stack.baseUrl, false);
    const hits = await scraped(stack.adminUrl, "hit");
    const first = await clients.insights.getFilterSchema({}, withKey(stack.privateKey));
    await Bun.sleep(50);
    expect(await clients.activity.getFilterSchema({}, withKey(stack.privateKey))).toEqual(first);
    expect(await scraped(stack.adminUrl, "hit")).toBe(hits + 1);
    expect((await clients.insights.getFilterSchema({}, withKey(other.privateKey))).events).not.toEqual(first.events);
  });

  test("another project's key asking the same question gets its own answer, never the cached one", async () => {
    expect(await total(stack.baseUrl, stack.privateKey, settled)).toBe(3);
    expect(await total(stack.baseUrl, other.privateKey, settled)).toBe(5);
    expect(await total(stack.baseUrl, stack.privateKey, settled)).toBe(3);
  });

  test("a range reaching now: a new event shows once the live TTL has passed", async () => {
    expect(await total(stack.baseUrl, stack.privateKey, live)).toBe(3);
    await seedEvents(stack.ch, visits(stack.projectId, 1, 0.5));
    const hits = await scraped(stack.adminUrl, "hit");
    expect(await total(stack.baseUrl, stack.privateKey, live)).toBe(3); // still the cached answer
    expect(await scraped(stack.adminUrl, "hit")).toBe(hits + 1);
    await Bun.sleep(LIVE_TTL_SECONDS * 1000 + 200);
    expect(await total(stack.baseUrl, stack.privateKey, live)).toBe(4);
  });

  test("a server whose Redis is down answers every query and counts the failures", async () => {
    const port = freePort();
    const adminPort = freePort();
    noRedis = {
      server: startPug(["server"], { ...stack.env, REDIS_URL: `redis://127.0.0.1:${freePort()}`, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: `127.0.0.1:${adminPort}` }),
      baseUrl: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
    };
    await waitForHttp(`${noRedis.baseUrl}/readyz`);
    for (let i = 0; i < 2; i++) expect(await total(noRedis.baseUrl, other.privateKey, settled)).toBe(5);
    expect(await scraped(noRedis.adminUrl, "get_error")).toBe(2);
    expect(await scraped(noRedis.adminUrl, "hit")).toBe(0);
    expect(noRedis.server.output()).toContain("insights cache: redis get failed");
  });
});
