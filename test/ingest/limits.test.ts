// Limits that protect intake: the per-IP limit comes before any work, made-up keys cost Postgres nothing,
// identify is limited per project, and a full queue pushes back with 503 + Retry-After without losing anything.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { IdentifyRequestSchema } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject } from "../../src/server/projects.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { queuedEvents } from "../support/queued-events.ts";
import { waitFor } from "../support/ports.ts";
import { BATCH_CREATE, batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";

const IDENTIFY = "/sdk.profiles.v1.ProfilesSDKService/Identify";
const randomKey = () => `pub_${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")}`;
const post = (stack: IngestStack, path: string, body: Uint8Array, headers: Record<string, string>) =>
  fetch(stack.baseUrl + path, { method: "POST", headers: { "content-type": "application/proto", "connect-protocol-version": "1", ...headers }, body });

describe("per-IP limit", () => {
  let stack: IngestStack;
  beforeAll(async () => {
    stack = await ingestStack("limits_ip", { env: { PUG_RATE_LIMIT_IP_RPS: "5" } });
  });
  afterAll(() => stack.stop());

  test.each([
    ["random keys", (i: number) => post(stack, BATCH_CREATE, batchBody([sdkEvent(stack.projectId)]), { "x-api-key": randomKey(), "x-n": String(i) })],
    ["garbage bodies with a good key", () => post(stack, BATCH_CREATE, new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]), { "x-api-key": stack.publicKey })],
    ["identify calls with random keys", () => post(stack, IDENTIFY, toBinary(IdentifyRequestSchema, create(IdentifyRequestSchema, { externalId: "u1" })), { "x-api-key": randomKey() })],
  ])("a flood of %s from one address is refused with 429 resource_exhausted and Retry-After", async (_name, send) => {
    // Start at the top of a second so the flood falls in one fixed window.
    await Bun.sleep(1000 - (Date.now() % 1000));
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((s) => s !== 429).every((s) => s === 400 || s === 401)).toBe(true);
    const refusal = responses.find((r) => r.status === 429)!;
    expect(refusal.headers.get("retry-after")).toBe("1");
    expect(await refusal.json()).toEqual({ code: "resource_exhausted", message: "too many requests from this address (limit 5 per second); retry after 1 s" });
  });
});

describe("body limits", () => {
  let stack: IngestStack;
  beforeAll(async () => {
    stack = await ingestStack("limits_body", { env: { PUG_RATE_LIMIT_IP_RPS: "0", PUG_MAX_BODY_BYTES: "2097152", PUG_MAX_DECODED_BODY_BYTES: "1048576" } });
  });
  afterAll(() => stack.stop());

  test("with the decoded limit set below the body limit, an uncompressed body over it is refused too, before it is decoded", async () => {
    const events = Array.from({ length: 3_000 }, () => sdkEvent(stack.projectId));
    const body = batchBody(events);
    expect(body.byteLength).toBeGreaterThan(1024 * 1024);
    expect(body.byteLength).toBeLessThan(2 * 1024 * 1024);
    const response = await post(stack, BATCH_CREATE, body, { "x-api-key": stack.publicKey });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ code: "invalid_argument", message: `request body is ${(body.byteLength / 1024 / 1024).toFixed(1)} MiB; the limit is 1.0 MiB` });
    expect(await stack.queued()).toBe(0);
  });
});

describe("API keys", () => {
  let stack: IngestStack;
  beforeAll(async () => {
    stack = await ingestStack("limits_keys", { env: { PUG_RATE_LIMIT_IP_RPS: "0", PUG_TRUSTED_PROXIES: "127.0.0.1" } });
  });
  afterAll(() => stack.stop());

  test("500 made-up keys from 500 addresses are refused without one key lookup reaching Postgres", async () => {
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    // Every lookup of a key by its hash scans this index; the snapshot's refreshes read by timestamps instead.
    const lookups = async () => {
      const [row] = await sql<{ n: string }[]>`SELECT idx_scan AS n FROM pg_stat_user_indexes WHERE indexrelname = 'api_keys_key_sha256_key'`;
      return Number(row!.n);
    };
    try {
      const before = await lookups();
      const body = batchBody([sdkEvent(stack.projectId)]);
      for (let round = 0; round < 10; round++) {
        const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => sdkRequest(stack.baseUrl, randomKey(), body, { "x-forwarded-for": `203.0.113.${round * 50 + i < 256 ? round * 50 + i : 0}, 198.51.${round}.${i}` })));
        expect(responses.map((r) => r.status)).toEqual(Array(50).fill(401));
      }
      // A lookup of our own shows when Postgres has published the counts of everything before it.
      await sql`SELECT 1 FROM api_keys WHERE key_sha256 = ${Buffer.alloc(32)}`;
      await waitFor("our own lookup to be counted", async () => (await lookups()) > before, 15_000);
      await Bun.sleep(1_500);
      expect((await lookups()) - before).toBe(1);
      // The snapshot holds the stack's two keys and was read within the last seconds.
      const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/^pug_api_keys 2$/m);
      expect(Date.now() / 1000 - Number(/^pug_api_keys_read_timestamp_seconds ([\d.]+)$/m.exec(metrics)![1])).toBeLessThan(3);
    } finally {
      await sql.end();
    }
  }, 60_000);

  test("a key created while the server runs works within two seconds", async () => {
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      const created = await createProject(sql, "late");
      const at = Date.now();
      await waitFor("the new key to be accepted", async () => (await sdkRequest(stack.baseUrl, created.publicKey, batchBody([sdkEvent(created.projectId)]))).status === 200, 5_000);
      expect(Date.now() - at).toBeLessThanOrEqual(2_500);
    } finally {
      await sql.end();
    }
  });
});

describe("identify", () => {
  test("identify calls past the per-project limit get 429 resource_exhausted with Retry-After", async () => {
    const stack = await ingestStack("limits_identify", { env: { PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_IDENTIFY_PS: "3" } });
    try {
      await Bun.sleep(1000 - (Date.now() % 1000));
      const body = toBinary(IdentifyRequestSchema, create(IdentifyRequestSchema, { externalId: "user-1", anonymousId: "anon-1" }));
      const responses = await Promise.all(Array.from({ length: 8 }, () => post(stack, IDENTIFY, body, { "x-api-key": stack.publicKey })));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
      const refusal = responses.find((r) => r.status === 429)!;
      expect(refusal.headers.get("retry-after")).toBe("1");
      expect(await refusal.json()).toEqual({ code: "resource_exhausted", message: "too many identify calls for this project (limit 3 per second); retry after 1 s" });
    } finally {
      await stack.stop();
    }
  });
});

describe("a full queue", () => {
  test("once the events stream is full the server answers 503 unavailable with Retry-After, and everything accepted is queued", async () => {
    // One partition: the events size limit is not split, and the one stream fills.
    const stack = await ingestStack("limits_full", { env: { PUG_RATE_LIMIT_IP_RPS: "0", PUG_NATS_STREAM_LIMITS: "events=16KiB/7d", PUG_EVENTS_PARTITIONS: "1" } });
    try {
      const accepted: string[] = [];
      let refusal: Response | undefined;
      let refusals = 0;
      // Four at a time, so the last room is contended for.
      for (let i = 0; i < 50 && !refusal; i++) {
        await Promise.all(Array.from({ length: 4 }, async () => {
          const events = Array.from({ length: 5 }, () => sdkEvent(stack.projectId));
          const response = await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(events));
          if (response.status === 200) accepted.push(...events.map((e) => e.eventId));
          else {
            refusals++;
            refusal ??= response;
          }
        }));
      }
      expect(refusal?.status).toBe(503);
      expect(refusal!.headers.get("retry-after")).toBe("30");
      expect(await refusal!.json()).toEqual({ code: "unavailable", message: "the event queue is full; retry after 30 s" });
      expect(accepted.length).toBeGreaterThan(0);

      // Every accepted event is in the stream (concurrent requests may share a message), and nothing else; the
      // refusal is counted.
      const stream = stack.nats.names.stream("events");
      const info = await stack.nats.jsm.streams.info(stream);
      expect([...(await queuedEvents(stack.nats)).keys()].sort()).toEqual(accepted.sort());
      expect(info.config.max_bytes).toBe(16 * 1024);

      const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
      expect(metrics).toContain(`pug_nats_stream_max_bytes{stream="${stream}"} 16384`);
      expect(metrics).toContain(`pug_nats_stream_messages{stream="${stream}"} ${info.state.messages}`);
      expect(metrics).toMatch(new RegExp(`pug_nats_stream_bytes\\{stream="${stream}"\\} (\\d+)`));
      expect(metrics).toContain(`pug_intake_queue_full_total{queue="event"} ${refusals}`);
    } finally {
      await stack.stop();
    }
  });
});
