// Every way a request can be wrong gets the right Connect code and a message naming the field, and nothing of
// it is queued.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { BatchCreateRequestSchema, type Event } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { IdentifyRequestSchema } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { revokeApiKey } from "../../src/server/projects.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { BATCH_CREATE, batchBody, sdkEvent, sdkRequest, str, uuidv7 } from "../support/sdk-events.ts";

let stack: IngestStack;
let queuedBefore = 0;
beforeAll(async () => {
  stack = await ingestStack("bad", { env: { PUG_RATE_LIMIT_IP_RPS: "0" } });
  queuedBefore = await stack.queued();
});
afterAll(() => stack.stop());

const ev = (overrides: Parameters<typeof sdkEvent>[1] = {}) => sdkEvent(stack.projectId, overrides);
const send = (events: Event[]) => sdkRequest(stack.baseUrl, stack.publicKey, batchBody(events));
const raw = (body: Uint8Array | string, headers: Record<string, string>, query = "") =>
  fetch(stack.baseUrl + BATCH_CREATE + query, { method: "POST", headers: { "connect-protocol-version": "1", ...headers }, body });
const proto = { "content-type": "application/proto" };
const withKey = () => ({ ...proto, "x-api-key": stack.publicKey });
const unsetValue = () => ev({ customProperties: { broken: {} } });
const json = { "content-type": "application/json" };
const at = (seconds: bigint, nanos = 0) => ({ value: { case: "timestampValue" as const, value: { seconds, nanos } } });
/** A batch as JSON with `marker` (a string value somewhere in it) replaced by raw JSON text, e.g. an escape. */
const jsonWith = (events: Event[], marker: string, replacement: string) =>
  raw(toJsonString(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events })).replace(JSON.stringify(marker), replacement), { ...json, "x-api-key": stack.publicKey });
/** A binary batch with the UTF-8 bytes of `marker` overwritten by 0xff, which is never valid UTF-8. */
const invalidUtf8 = (events: Event[], marker: string) => {
  const body = batchBody(events);
  const at = Buffer.from(body).indexOf(marker);
  body.fill(0xff, at, at + marker.length);
  return raw(body, withKey());
};
/** 1.2 MB of property values: fits the 5 MiB decoded body limit, not one 1 MiB NATS message. */
const hugeProperties = () => Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`p${i}`, str("€".repeat(1000))]));
const identifyRaw = (body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${stack.baseUrl}/sdk.profiles.v1.ProfilesSDKService/Identify`, { method: "POST", headers: { ...withKey(), ...headers }, body });
const identifyBody = (init: Parameters<typeof create<typeof IdentifyRequestSchema>>[1]) => toBinary(IdentifyRequestSchema, create(IdentifyRequestSchema, init));

type Case = [name: string, request: () => Promise<Response>, status: number, code: string, message: string | RegExp];

const cases: Case[] = [
  // who is calling
  ["no API key", () => raw(batchBody([ev()]), proto), 401, "unauthenticated", "missing API key: send it in the x-api-key header"],
  ["a malformed API key", () => raw(batchBody([ev()]), { ...proto, "x-api-key": "secret" }), 401, "unauthenticated", "malformed API key"],
  ["an unknown API key", () => raw(batchBody([ev()]), { ...proto, "x-api-key": `pub_${"0".repeat(32)}` }), 401, "unauthenticated", "unknown or revoked API key"],
  ["a private key in the query string", () => raw(batchBody([ev()]), proto, `?api_key=${stack.privateKey}`), 401, "unauthenticated", "only public keys (pub_…) may be sent in a URL"],
  ["a bad header key even with a good key in the query", () => raw(batchBody([ev()]), { ...proto, "x-api-key": `pub_${"1".repeat(32)}` }, `?api_key=${stack.publicKey}`), 401, "unauthenticated", "unknown or revoked API key"],
  // transport
  ["a content type Connect does not speak", () => raw(batchBody([ev()]), { ...withKey(), "content-type": "text/plain" }), 415, "unimplemented", "content-type 'text/plain' is not supported; send application/proto or application/json"],
  ["garbage bytes as protobuf", () => raw(new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]), withKey()), 400, "invalid_argument", "request body: parse binary: illegal tag"],
  ["malformed JSON", () => raw("{\"events\": [", { ...withKey(), "content-type": "application/json" }), 400, "invalid_argument", "cannot decode message sdk.events.v1.BatchCreateRequest from JSON: JSON Parse error"],
  ["JSON with a field of the wrong type", () => raw(JSON.stringify({ events: "many" }), { ...withKey(), "content-type": "application/json" }), 400, "invalid_argument", 'cannot decode field sdk.events.v1.BatchCreateRequest.events from JSON: expected Array, got "many"'],
  ["JSON with an unknown field", () => raw(JSON.stringify({ events: [], colour: "red" }), { ...withKey(), "content-type": "application/json" }), 400, "invalid_argument", 'key "colour" is unknown'],
  ["a string that is not valid UTF-8", () => invalidUtf8([ev({ customProperties: { note: str("MARKER") } })], "MARKER"), 400, "invalid_argument", "request body: parse binary: The encoded data was not valid for encoding utf-8"],
  ["a body over 1 MiB", () => raw(new Uint8Array(1024 * 1024 + 1), withKey()), 413, "invalid_argument", "request body is 1.0 MiB; the limit is 1.0 MiB"],
  ["gzip that inflates past 5 MiB", () => raw(gzipSync(new Uint8Array(6 * 1024 * 1024)), { ...withKey(), "content-encoding": "gzip" }), 413, "invalid_argument", "decompresses to more than 5.0 MiB"],
  ["a gzip header on bytes that are not gzip", () => raw(batchBody([ev()]), { ...withKey(), "content-encoding": "gzip" }), 400, "invalid_argument", "request body: not valid gzip"],
  ["an encoding the server does not take", () => raw(batchBody([ev()]), { ...withKey(), "content-encoding": "br" }), 415, "unimplemented", "content-encoding 'br' is not supported"],
  // the batch
  ["1001 events", () => send(Array.from({ length: 1001 }, () => ev())), 400, "invalid_argument", "events: at most 1000 events per batch, got 1001"],
  ["a missing event_id", () => send([ev({ eventId: "" })]), 400, "invalid_argument", "events[0].event_id: required"],
  ["an event_id that is not a UUID", () => send([ev({ eventId: "event-1" })]), 400, "invalid_argument", "events[0].event_id: not a UUID"],
  ["duplicate event ids", () => { const id = uuidv7(); return send([ev({ eventId: id }), ev({ eventId: id.toUpperCase() })]); }, 400, "invalid_argument", "events[1].event_id: duplicate of events[0].event_id"],
  ["a problem in the third event", () => send([ev(), ev(), ev({ eventId: "x" })]), 400, "invalid_argument", "events[2].event_id: not a UUID"],
  ["a missing kind", () => send([ev({ kind: "" })]), 400, "invalid_argument", "events[0].kind: required"],
  ["a kind with a space", () => send([ev({ kind: "page view" })]), 400, "invalid_argument", "events[0].kind: only letters, digits, '_', '.' and '-' are allowed"],
  ["a kind of 201 characters", () => send([ev({ kind: "k".repeat(201) })]), 400, "invalid_argument", "events[0].kind: at most 200 characters"],
  ["a missing occur_time", () => send([ev({ occurTime: undefined })]), 400, "invalid_argument", "events[0].occur_time: required"],
  ["occur_time with negative nanos", () => send([ev({ occurTime: { seconds: 1n, nanos: -1 } })]), 400, "invalid_argument", "events[0].occur_time.nanos: must be 0 to 999999999"],
  ["a distinct_id in the server's cookieless namespace", () => send([ev({ distinctId: "cookieless-abc" })]), 400, "invalid_argument", 'events[0].distinct_id: must not start with "cookieless-"'],
  ["a distinct_id of 201 characters", () => send([ev({ distinctId: "d".repeat(201) })]), 400, "invalid_argument", "events[0].distinct_id: at most 200 characters"],
  ["a session_id that is not a UUID", () => send([ev({ sessionId: "session-1" })]), 400, "invalid_argument", "events[0].session_id: not a UUID"],
  ["a cookieless event with a distinct_id", () => send([ev({ cookieless: true, sessionId: "" })]), 400, "invalid_argument", "events[0].distinct_id: must be empty when cookieless is true"],
  ["a cookieless event with a session_id", () => send([ev({ cookieless: true, distinctId: "" })]), 400, "invalid_argument", "events[0].session_id: must be empty when cookieless is true"],
  ["an identified event without distinct_id", () => send([ev({ distinctId: "" })]), 400, "invalid_argument", "events[0].distinct_id: required unless cookieless is true"],
  ["an identified event without session_id", () => send([ev({ sessionId: "" })]), 400, "invalid_argument", "events[0].session_id: required unless cookieless is true"],
  ["an automatic property without '$'", () => send([ev({ autoProperties: { url: str("x") } })]), 400, "invalid_argument", "events[0].auto_properties[\"url\"]: automatic property names start with '$'"],
  ["a custom property with '$'", () => send([ev({ customProperties: { $plan: str("pro") } })]), 400, "invalid_argument", "events[0].custom_properties[\"$plan\"]: custom property names must not start with '$'"],
  ["a property with no value set", () => send([unsetValue()]), 400, "invalid_argument", "events[0].custom_properties[\"broken\"]: no value set"],
  ["a string of 1025 characters", () => send([ev({ customProperties: { note: str("é".repeat(1025)) } })]), 400, "invalid_argument", "string_value: at most 1024 characters, got 1025"],
  ["a NaN double", () => send([ev({ customProperties: { price: { value: { case: "doubleValue", value: Number.NaN } } } })]), 400, "invalid_argument", "double_value: must be finite, got NaN"],
  ["an infinite double", () => send([ev({ customProperties: { price: { value: { case: "doubleValue", value: Number.POSITIVE_INFINITY } } } })]), 400, "invalid_argument", "double_value: must be finite, got Infinity"],
  ["a negatively infinite double", () => send([ev({ customProperties: { price: { value: { case: "doubleValue", value: Number.NEGATIVE_INFINITY } } } })]), 400, "invalid_argument", "must be finite, got -Infinity"],
  ["a timestamp property with bad nanos", () => send([ev({ customProperties: { at: { value: { case: "timestampValue", value: { seconds: 1n, nanos: 1_000_000_000 } } } } })]), 400, "invalid_argument", "timestamp_value.nanos: must be 0 to 999999999"],
  ["an empty property name", () => send([ev({ customProperties: { "": str("x") } })]), 400, "invalid_argument", "events[0].custom_properties[\"\"]: names are 1 to 200 characters"],
  ["a property name of 201 characters", () => send([ev({ customProperties: { ["p".repeat(201)]: str("x") } })]), 400, "invalid_argument", "names are 1 to 200 characters"],
  ["501 properties", () => send([ev({ customProperties: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`p${i}`, str("x")])) })]), 400, "invalid_argument", "events[0].custom_properties: at most 500 properties, got 501"],
  // what the events table could not store
  ["occur_time in the year 318,857", () => send([ev({ occurTime: { seconds: 10_000_000_000_000n, nanos: 0 } })]), 400, "invalid_argument", "events[0].occur_time.seconds: 10000000000000 is outside 1900-01-01T00:00:00Z to 2299-12-31T23:59:59.999Z"],
  ["occur_time before 1900", () => send([ev({ occurTime: { seconds: -2_208_988_801n, nanos: 0 } })]), 400, "invalid_argument", "events[0].occur_time.seconds: -2208988801 is outside"],
  ["occur_time with absurd nanos", () => send([ev({ occurTime: { seconds: 1n, nanos: 2_000_000_000 } })]), 400, "invalid_argument", "events[0].occur_time.nanos: must be 0 to 999999999"],
  ["a custom timestamp in the year 318,857", () => send([ev({ customProperties: { renewsAt: at(10_000_000_000_000n) } })]), 400, "invalid_argument", 'events[0].custom_properties["renewsAt"]: timestamp_value.seconds: 10000000000000 is outside'],
  ["an automatic timestamp before 1900", () => send([ev({ autoProperties: { $firstSeen: at(-3_000_000_000n) } })]), 400, "invalid_argument", 'events[0].auto_properties["$firstSeen"]: timestamp_value.seconds: -3000000000 is outside'],
  ["a timestamp property of int64-max seconds", () => send([ev({ customProperties: { at: at(9_223_372_036_854_775_807n) } })]), 400, "invalid_argument", "timestamp_value.seconds: 9223372036854775807 is outside"],
  ["a lone surrogate in a string (JSON)", () => jsonWith([ev({ customProperties: { note: str("MARKER") } })], "MARKER", '"a\\ud800b"'), 400, "invalid_argument", "cannot decode field common.v1.PropertyValue.string_value from JSON: expected string: invalid UTF8"],
  ["a lone surrogate in a distinct_id (JSON)", () => jsonWith([ev({ distinctId: "MARKER" })], "MARKER", '"anon-\\udc00"'), 400, "invalid_argument", "cannot decode field sdk.events.v1.Event.distinct_id from JSON: expected string: invalid UTF8"],
  ["a lone surrogate in a property name (JSON)", () => jsonWith([ev({ customProperties: { MARKER: str("x") } })], "MARKER", '"k\\ud800"'), 400, "invalid_argument", "cannot decode field sdk.events.v1.Event.custom_properties from JSON: invalid map key: expected string: invalid UTF8"],
  ["a NUL in a property name", () => send([ev({ customProperties: { "a\u0000b": str("x") } })]), 400, "invalid_argument", 'events[0].custom_properties["a\\u0000b"]: names must not contain control characters'],
  ["a newline in a property name", () => send([ev({ customProperties: { "a\nb": str("x") } })]), 400, "invalid_argument", "names must not contain control characters"],
  ["a property name of 100,000 characters", () => send([ev({ customProperties: { ["k".repeat(100_000)]: str("x") } })]), 400, "invalid_argument", "names are 1 to 200 characters"],
  ["one event larger than a queue message", () => raw(gzipSync(batchBody([ev(), ev({ customProperties: hugeProperties() })])), { ...withKey(), "content-encoding": "gzip" }), 400, "invalid_argument", /^events\[1\]: 12\d{5} bytes encoded, more than the 1040384 bytes one queued message holds \(NATS max_payload less headers\)/],
  // identify
  ["identify with a NaN trait", () => identifyRaw(identifyBody({ externalId: "user-1", traits: { score: Number.NaN } })), 400, "invalid_argument", 'traits["score"]: numbers must be finite, got NaN'],
  ["identify with a control character in a trait name", () => identifyRaw(identifyBody({ externalId: "user-1", traits: { "a\u0007": 1 } })), 400, "invalid_argument", 'traits["a\\u0007"]: names must not contain control characters'],
  ["identify with a lone surrogate in a trait (JSON)", () => identifyRaw(new TextEncoder().encode('{"externalId": "user-1", "traits": {"name": "a\\ud800"}}'), json), 400, "invalid_argument", 'traits["name"]: not valid Unicode (lone surrogate)'],
  ["identify larger than a queue message", () => identifyRaw(gzipSync(identifyBody({ externalId: "user-1", traits: { bio: "€".repeat(400_000) } })), { "content-encoding": "gzip" }), 400, "invalid_argument", /^identify request: 120\d{4} bytes encoded, more than the 1040384 bytes one queued message holds/],
  ["several problems at once", () => send([ev({ eventId: "x", kind: "" })]), 400, "invalid_argument", "events[0].event_id: not a UUID; events[0].kind: required"],
];

describe("bad SDK requests", () => {
  test.each(cases)("%s → %d %s", async (_name, request, status, code, message) => {
    const response = await request();
    const text = await response.text();
    expect(`${response.status} ${text}`).toStartWith(`${status} `);
    expect(message).not.toBe("");
    const body = JSON.parse(text) as { code: string; message: string };
    expect(body.code).toBe(code);
    if (typeof message === "string") expect(body.message).toContain(message);
    else expect(body.message).toMatch(message);
  });

  test("there are at least 40 of them", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  test("none of them queued anything", async () => {
    expect(await stack.queued()).toBe(queuedBefore);
  });

  test("limits are exact: 1000 events and 1024-character strings (counted in code points) are accepted", async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ev(i === 0 ? { customProperties: { note: str("😀".repeat(1024)) } } : {}));
    const response = await send(events);
    expect(response.status).toBe(200);
    expect(await stack.queued()).toBeGreaterThan(queuedBefore);
  });

  test("a revoked key stops working within 5 seconds", async () => {
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      expect((await send([ev()])).status).toBe(200);
      const revokedAt = Date.now();
      expect(await revokeApiKey(sql, stack.publicKey)).toBe(true);
      await waitFor("the revoked key to be refused", async () => (await send([ev()])).status === 401, 6_000);
      expect(Date.now() - revokedAt).toBeLessThanOrEqual(5_500);
    } finally {
      await sql.end();
    }
  });
});

describe("rate limits", () => {
  test("past the per-IP limit the server answers resource_exhausted with Retry-After", async () => {
    const limited = await ingestStack("bad_rate", { env: { PUG_RATE_LIMIT_IP_RPS: "5" } });
    try {
      const statuses: number[] = [];
      let refusal: Response | undefined;
      for (let i = 0; i < 12; i++) {
        const response = await sdkRequest(limited.baseUrl, limited.publicKey, batchBody([sdkEvent(limited.projectId)]));
        statuses.push(response.status);
        if (response.status === 429) refusal ??= response;
      }
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(10);
      expect(refusal?.headers.get("retry-after")).toBe("1");
      const body = (await refusal!.json()) as { code: string; message: string };
      expect(body).toEqual({ code: "resource_exhausted", message: "too many requests from this address (limit 5 per second); retry after 1 s" });
    } finally {
      await limited.stop();
    }
  });
});
