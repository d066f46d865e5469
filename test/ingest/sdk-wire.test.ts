// The SDK's wire contract end to end: a stock Connect client (binary and JSON), a byte-exact replay of what
// Pug's web SDK sends, the sendBeacon form and CORS; events must land in ClickHouse, enriched.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { IdentifyCallSchema, IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";
import { BatchCreateResponseSchema, EventsService } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { ProfilesSDKService } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { BATCH_CREATE, batchBody, CHROME_UA, sdkEvent, sdkRequest, str } from "../support/sdk-events.ts";

let stack: IngestStack;
beforeAll(async () => {
  stack = await ingestStack("wire", { worker: true, env: { PUG_TRUSTED_PROXIES: "127.0.0.1", PUG_EVENTS_PARTITIONS: "4" } });
});
afterAll(() => stack.stop());

const withHeaders = (headers: Record<string, string>): Interceptor => (next) => async (req) => {
  for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
  return next(req);
};

function connectClient(useBinaryFormat: boolean, headers: Record<string, string>) {
  return createClient(EventsService, createConnectTransport({ baseUrl: stack.baseUrl, useBinaryFormat, interceptors: [withHeaders(headers)] }));
}

async function rowsFor(ids: string[]) {
  const where = `event_id IN (${ids.map((id) => `'${id}'`).join(",")})`;
  await waitFor(`${ids.length} events in ClickHouse`, async () => (await stack.stored(where)).rows >= ids.length, 20_000);
  const result = await stack.ch.query({ query: `SELECT * FROM events WHERE ${where} ORDER BY occurred_at`, format: "JSONEachRow" });
  return await result.json<Record<string, unknown>>();
}

describe("SDK intake over Connect", () => {
  test.each([
    ["binary", true],
    ["JSON", false],
  ])("a stock Connect client (%s) is accepted and its events are stored, enriched", async (_label, binary) => {
    const client = connectClient(binary as boolean, { "x-api-key": stack.publicKey, "user-agent": CHROME_UA, "x-forwarded-for": "81.2.69.160" });
    const events = [sdkEvent(stack.projectId), sdkEvent(stack.projectId, { kind: "click", customProperties: { plan: str("pro"), seats: { value: { case: "intValue", value: 12n } } } })];
    const reply = await client.batchCreate({ events });
    expect([reply.accepted, reply.dropped]).toEqual([2, 0]);

    const rows = await rowsFor(events.map((e) => e.eventId));
    expect(rows).toHaveLength(2);
    const click = rows.find((r) => r.kind === "click")!;
    expect(click).toMatchObject({
      project_id: stack.projectId,
      distinct_id: "anon-0190b6f0-0000-7000-8000-000000000001",
      url: "https://shop.example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
      hostname: "shop.example.com",
      pathname: "/pricing",
      referrer: "https://www.google.com/",
      referrer_domain: "google.com",
      utm_source: "newsletter",
      utm_medium: "email",
      utm_campaign: "spring",
      channel: "Email",
      page_title: "Pricing",
      locale: "en-GB",
      screen_width: 1920,
      screen_height: 1080,
      platform: "web",
      browser: "Chrome",
      browser_version: "124",
      os: "Windows",
      device_type: "desktop",
      is_bot: false,
      country: "GB",
      cookieless: false,
      custom_properties: { plan: "pro", seats: "12" },
      custom_numbers: { seats: 12 },
    });
    expect(JSON.stringify(rows)).not.toContain("81.2.69.160");
  });

  test("a byte-exact replay of the SDK's request gets a proto reply and CORS for its origin", async () => {
    const event = sdkEvent(stack.projectId);
    const response = await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([event]), { origin: "https://shop.example.com" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("proto");
    expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("vary")).toContain("Origin");
    const reply = fromBinary(BatchCreateResponseSchema, new Uint8Array(await response.arrayBuffer()));
    expect([reply.accepted, reply.dropped]).toEqual([1, 0]);
    expect(await rowsFor([event.eventId])).toHaveLength(1);
  });

  test("the CORS preflight echoes the origin and allows the SDK's headers", async () => {
    const response = await fetch(stack.baseUrl + BATCH_CREATE, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version,x-api-key" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    for (const header of ["content-type", "connect-protocol-version", "connect-timeout-ms", "x-api-key"]) {
      expect(response.headers.get("access-control-allow-headers")).toContain(header);
    }
    const bare = await fetch(stack.baseUrl + BATCH_CREATE, { method: "OPTIONS" });
    expect(bare.status).toBe(204);
    expect(bare.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("the sendBeacon form (key in the query string, no custom headers) is accepted", async () => {
    const event = sdkEvent(stack.projectId, { kind: "scroll" });
    const response = await fetch(`${stack.baseUrl}${BATCH_CREATE}?api_key=${encodeURIComponent(stack.publicKey)}`, {
      method: "POST",
      headers: { "content-type": "application/proto", origin: "https://shop.example.com", "user-agent": CHROME_UA },
      body: new Blob([batchBody([event])], { type: "application/proto" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    expect(await rowsFor([event.eventId])).toHaveLength(1);
  });

  test("cookieless events get a server-derived visitor id, stable for one visitor on one day", async () => {
    const headers = { "x-api-key": stack.publicKey, "user-agent": CHROME_UA, "x-forwarded-for": "198.51.100.7" };
    const client = connectClient(true, headers);
    const a = sdkEvent(stack.projectId, { cookieless: true, distinctId: "", sessionId: "" });
    const b = sdkEvent(stack.projectId, { cookieless: true, distinctId: "", sessionId: "" });
    await client.batchCreate({ events: [a] });
    await client.batchCreate({ events: [b] });
    const other = sdkEvent(stack.projectId, { cookieless: true, distinctId: "", sessionId: "" });
    await connectClient(true, { ...headers, "x-forwarded-for": "198.51.100.8" }).batchCreate({ events: [other] });
    const rows = await rowsFor([a.eventId, b.eventId, other.eventId]);
    const id = (eventId: string) => rows.find((r) => r.event_id === eventId)!.distinct_id as string;
    expect(id(a.eventId)).toMatch(/^cookieless-[0-9a-f]{32}$/);
    expect(id(a.eventId)).toBe(id(b.eventId));
    expect(id(other.eventId)).not.toBe(id(a.eventId));
  });

  test("events of another project or outside the time window are dropped with their reason, not stored", async () => {
    const client = connectClient(true, { "x-api-key": stack.privateKey });
    const kept = sdkEvent(stack.projectId);
    const foreign = sdkEvent("00000000-0000-4000-8000-000000000000");
    const ancient = sdkEvent(stack.projectId, { occurTime: timestampFromMs(Date.now() - 40 * 86_400_000) });
    const future = sdkEvent(stack.projectId, { occurTime: timestampFromMs(Date.now() + 3 * 86_400_000) });
    const reply = await client.batchCreate({ events: [kept, foreign, ancient, future] });
    expect(reply.accepted).toBe(1);
    expect(reply.dropped).toBe(3);
    expect(reply.droppedByReason).toEqual({ project_mismatch: 1, day_out_of_range: 2 });
    await rowsFor([kept.eventId]);
    const dropped = [foreign, ancient, future].map((e) => `'${e.eventId}'`).join(",");
    expect((await stack.stored(`event_id IN (${dropped})`)).rows).toBe(0);
    const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/pug_intake_events_total\{outcome="dropped",reason="day_out_of_range"\} 2/);
  });

  test("a batch sent twice (an SDK retry) is stored once", async () => {
    const events = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
    const body = batchBody(events);
    for (let i = 0; i < 3; i++) expect((await sdkRequest(stack.baseUrl, stack.publicKey, body)).status).toBe(200);
    await rowsFor(events.map((e) => e.eventId));
    await Bun.sleep(600);
    expect(await stack.stored(`event_id IN ('${events[0]!.eventId}','${events[1]!.eventId}')`)).toEqual({ rows: 2, ids: 2 });
  });

  test("identify is validated and queued for the profile worker, without $ip", async () => {
    const client = createClient(ProfilesSDKService, createConnectTransport({ baseUrl: stack.baseUrl, useBinaryFormat: true, interceptors: [withHeaders({ "x-api-key": stack.publicKey })] }));
    await client.identify({ externalId: "user-42", anonymousId: "anon-0190b6f0-0000-7000-8000-000000000001", traits: { plan: "pro", $ip: "81.2.69.160" } });
    const stream = stack.nats.names.stream("profiles");
    const message = await stack.nats.jsm.streams.getMessage(stream, { last_by_subj: stack.nats.names.subject("profiles", "identify") });
    const call = fromBinary(IdentifyCallSchema, message!.data);
    expect(call.projectId).toBe(stack.projectId);
    expect(call.request?.externalId).toBe("user-42");
    expect(call.request?.traits).toEqual({ plan: "pro" });
    const refused = await client.identify({ externalId: "cookieless-abc" }).then(() => undefined, (e: { code: number; rawMessage: string }) => e);
    expect(refused?.rawMessage).toBe('external_id: must not start with "cookieless-" (reserved for server-derived ids)');
  });
});

describe("what intake accepts is what ClickHouse holds", () => {
  test("values at the edges of what the events table holds are stored faithfully, __proto__ and an upper-case $projectId included", async () => {
    const client = connectClient(true, { "x-api-key": stack.publicKey, "user-agent": CHROME_UA });
    const number = (value: number) => ({ value: { case: "doubleValue" as const, value } });
    const int = (value: bigint) => ({ value: { case: "intValue" as const, value } });
    const time = (iso: string) => ({ value: { case: "timestampValue" as const, value: timestampFromMs(Date.parse(iso)) } });
    const customProperties = Object.fromEntries([
      ["note", str("a\u0000b\tc\nd\u007f é 😀")],
      ["minInt", int(-(1n << 63n))],
      ["maxInt", int((1n << 63n) - 1n)],
      ["tiny", number(5e-324)],
      ["huge", number(Number.MAX_VALUE)],
      ["first", time("1900-01-01T00:00:00.000Z")],
      ["last", time("2299-12-31T23:59:59.999Z")],
      ["__proto__", str("kept")],
      ["größe_😀", str("L")],
    ]);
    // sdkEvent puts its project id into $projectId: here the id as an SDK may have been given it, upper case.
    const event = sdkEvent(stack.projectId.toUpperCase(), { customProperties });
    const reply = await client.batchCreate({ events: [event] });
    expect([reply.accepted, reply.dropped]).toEqual([1, 0]);

    const [row] = await rowsFor([event.eventId]);
    const entries = (map: unknown) => Object.entries(map as object).sort(([a], [b]) => (a < b ? -1 : 1));
    expect(entries(row!.custom_properties)).toEqual([
      ["__proto__", "kept"],
      ["first", "1900-01-01T00:00:00.000Z"],
      ["größe_😀", "L"],
      ["huge", "1.7976931348623157e+308"],
      ["last", "2299-12-31T23:59:59.999Z"],
      ["maxInt", "9223372036854775807"],
      ["minInt", "-9223372036854775808"],
      ["note", "a\u0000b\tc\nd\u007f é 😀"],
      ["tiny", "5e-324"],
    ]);
    expect(entries(row!.custom_numbers)).toEqual([
      ["huge", Number.MAX_VALUE],
      ["maxInt", 9223372036854775807],
      ["minInt", -9223372036854775808],
      ["tiny", 5e-324],
    ]);
    expect(row!.project_id).toBe(stack.projectId);
  });

  test("the client IP never enters the queue; geo and the cookieless visitor still reach the row, also from a message of an older server", async () => {
    const subject = stack.nats.names.subject("events", "ingest");
    const seen: Uint8Array[] = [];
    // Each request goes to its visitor's events partition: watch the group subject of every partition stream.
    const subscription = stack.nats.connection.subscribe(stack.nats.names.subject("*", "group"), { callback: (_error, message) => void seen.push(message.data) });
    // The subscription is the server's once a round trip has followed it: a request sent before could be missed.
    await stack.nats.connection.flush();
    const ip = "81.2.69.160";
    const headers = { "x-api-key": stack.publicKey, "user-agent": CHROME_UA, "x-forwarded-for": ip };
    const cookieless = () => sdkEvent(stack.projectId, { cookieless: true, distinctId: "", sessionId: "" });
    const [a, b] = [cookieless(), cookieless()];
    try {
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([a]), headers)).status).toBe(200);
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([b]), headers)).status).toBe(200);
      await waitFor("both messages seen on the subject", async () => seen.length >= 2, 5_000);
    } finally {
      subscription.unsubscribe();
    }
    for (const data of seen) {
      expect(Buffer.from(data).includes(ip)).toBe(false);
      expect(Buffer.from(data).includes(Buffer.from([81, 2, 69, 160]))).toBe(false);
      const [batch] = readQueuedBatches(data, "events.group");
      expect(batch!.clientIp).toBe("");
      expect(batch!.client?.country).toBe("GB");
      expect(batch!.client?.visitorHash).toMatch(/^[0-9a-f]{64}$/);
    }

    // A message queued by a server from before client facts: the worker derives them from client_ip as before.
    const legacy = cookieless();
    const old = create(IngestBatchSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(Date.now()), clientIp: ip, userAgent: CHROME_UA, events: [legacy] });
    await stack.nats.js.publish(subject, toBinary(IngestBatchSchema, old));

    const rows = await rowsFor([a.eventId, b.eventId, legacy.eventId]);
    const row = (eventId: string) => rows.find((r) => r.event_id === eventId)!;
    expect(row(a.eventId).distinct_id).toMatch(/^cookieless-[0-9a-f]{32}$/);
    expect(row(b.eventId).distinct_id).toBe(row(a.eventId).distinct_id as string);
    expect(row(legacy.eventId).distinct_id).toBe(row(a.eventId).distinct_id as string);
    for (const eventId of [a.eventId, b.eventId, legacy.eventId]) expect(row(eventId).country).toBe("GB");
  });
});
