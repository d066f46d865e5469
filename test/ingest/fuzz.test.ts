// Fuzzing intake and the worker behind it with seeded mutations of valid requests (binary and JSON batches,
// identify calls): no request makes the server fail (5xx), the worker never restarts, every event accepted is
// stored or dead-lettered with a reason (and nothing else is stored), every identify accepted is queued, and
// valid events sent afterwards are stored.

import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type PropertyValue, PropertyValueSchema } from "../../src/gen/common/v1/property_value_pb.ts";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { intakeDropReason } from "../../src/domain/ingest/drop-reasons.ts";
import { BatchCreateRequestSchema, BatchCreateResponseSchema, type Event } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { IdentifyRequestSchema } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import { mutateBytes, mutateJson, mutateText, pick, type Random, seededRandom } from "../support/fuzz.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { BATCH_CREATE, batchBody, CHROME_UA, sdkEvent, sdkRequest, str, uuidv7 } from "../support/sdk-events.ts";
import { readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";

const SEED = 20261124;
const CASES = 1200;
const IDENTIFY = "/sdk.profiles.v1.ProfilesSDKService/Identify";

let stack: IngestStack;
beforeAll(async () => {
  stack = await ingestStack("fuzz", { worker: true, env: { PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_EPS: "0" } });
});
afterAll(() => stack.stop());

/** A valid batch of 1 to 4 events with custom properties of every type. */
function validEvents(random: Random): Event[] {
  return Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
    sdkEvent(stack.projectId, {
      kind: pick(random, ["page_view", "signup", "checkout.completed", "button-click"]),
      customProperties: {
        plan: str("pro"),
        seats: { value: { case: "intValue", value: 3n } },
        price: { value: { case: "doubleValue", value: 49.5 } },
        trial: { value: { case: "boolValue", value: false } },
        renews: { value: { case: "timestampValue", value: timestampFromMs(Date.now() + 86_400_000) } },
      },
    }),
  );
}

const timestamp = (seconds: bigint, nanos = 0): PropertyValue => create(PropertyValueSchema, { value: { case: "timestampValue", value: { seconds, nanos } } });
const text = (value: string): PropertyValue => create(PropertyValueSchema, str(value));
const number = (value: { case: "intValue"; value: bigint } | { case: "doubleValue"; value: number }): PropertyValue => create(PropertyValueSchema, { value });

/** Protobuf-level edits JSON cannot express: extreme seconds and nanos, NaN, 64-bit edges, unset oneofs. */
const messageEdits: ((event: Event, random: Random) => void)[] = [
  (e) => (e.occurTime = { ...e.occurTime!, seconds: 10_000_000_000_000n }),
  (e) => (e.occurTime = { ...e.occurTime!, seconds: -10_000_000_000_000n }),
  (e) => (e.occurTime = { ...e.occurTime!, nanos: -1 }),
  (e) => (e.occurTime = undefined),
  (e) => (e.customProperties.renews = timestamp(10_000_000_000_000n)),
  (e) => (e.customProperties.renews = timestamp(-99_999_999_999n, 999_999_999)),
  (e) => (e.customProperties.seats = number({ case: "intValue", value: -(2n ** 63n) })),
  (e) => (e.customProperties.price = number({ case: "doubleValue", value: Number.NaN })),
  (e) => (e.customProperties.price = number({ case: "doubleValue", value: -0 })),
  (e) => (e.customProperties.plan = create(PropertyValueSchema, {})),
  (e, r) => (e.customProperties[pick(r, ["__proto__", "constructor", "", " ", "a\u0000b", "\ud800", "x".repeat(300)])] = text("v")),
  (e, r) => (e.autoProperties.$projectId = text(pick(r, [stack.projectId.toUpperCase(), uuidv7(), "", "\u0000"]))),
  (e, r) => (e.kind = pick(r, ["", "a b", "x".repeat(201), "\u00e9", "$pageview"])),
  (e, r) => (e.distinctId = pick(r, ["", "cookieless-abc", "\u0000", "x".repeat(201)])),
  (e) => {
    e.cookieless = true;
    e.distinctId = "";
    e.sessionId = "";
  },
];

interface Case {
  kind: "batch" | "identify";
  json: boolean;
  body: Uint8Array | string;
}

function makeCase(random: Random, n: number): Case {
  const json = n % 2 === 1;
  if (n % 4 >= 2) {
    const request = create(IdentifyRequestSchema, { externalId: `user-${uuidv7()}`, anonymousId: `anon-${uuidv7()}`, traits: { plan: "pro", seats: 3, $ip: "1.2.3.4", nested: { a: [1, "b"] } } });
    if (json) {
      const doc = toJson(IdentifyRequestSchema, request);
      return { kind: "identify", json, body: random() < 0.7 ? JSON.stringify(mutateJson(random, doc)) : mutateText(random, JSON.stringify(doc)) };
    }
    return { kind: "identify", json, body: mutateBytes(random, toBinary(IdentifyRequestSchema, request)) };
  }
  const events = validEvents(random);
  if (json) {
    const doc = toJson(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events }));
    return { kind: "batch", json, body: random() < 0.7 ? JSON.stringify(mutateJson(random, doc)) : mutateText(random, JSON.stringify(doc)) };
  }
  if (random() < 0.5) {
    const edits = 1 + Math.floor(random() * 2);
    for (let i = 0; i < edits; i++) pick(random, messageEdits)(pick(random, events), random);
    return { kind: "batch", json, body: batchBody(events) };
  }
  return { kind: "batch", json, body: mutateBytes(random, batchBody(events)) };
}

/** The request as the server decodes it, or undefined when it does not decode. */
function decoded<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

test(`${CASES} seeded mutations of batches and identify calls: nothing fails, every accepted event is stored or dead-lettered`, async () => {
  const random = seededRandom(SEED);
  const cases = Array.from({ length: CASES }, (_, n) => makeCase(random, n));
  const statuses = new Map<number, number>();
  const serverErrors: string[] = [];
  const acceptedIds = new Set<string>();
  const identifyPayloads = new Set<string>();
  let acceptedEvents = 0;
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < cases.length) {
      const fuzz = cases[next++]!;
      const contentType = fuzz.json ? "application/json" : "application/proto";
      const response = await fetch(stack.baseUrl + (fuzz.kind === "batch" ? BATCH_CREATE : IDENTIFY), {
        method: "POST",
        headers: { "content-type": contentType, "connect-protocol-version": "1", "x-api-key": stack.publicKey, "user-agent": CHROME_UA },
        body: fuzz.body,
      });
      const reply = new Uint8Array(await response.arrayBuffer());
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) serverErrors.push(`${response.status} ${new TextDecoder().decode(reply)}`);
      if (response.status !== 200) continue;
      const text = typeof fuzz.body === "string" ? fuzz.body : "";
      if (fuzz.kind === "identify") {
        const request = fuzz.json ? fromJson(IdentifyRequestSchema, JSON.parse(text)) : fromBinary(IdentifyRequestSchema, fuzz.body as Uint8Array);
        if (request.traits) delete (request.traits as Record<string, unknown>).$ip;
        identifyPayloads.add(Buffer.from(toBinary(IdentifyRequestSchema, request)).toString("hex"));
        continue;
      }
      const accepted = fuzz.json ? Number((JSON.parse(new TextDecoder().decode(reply)) as { accepted?: number }).accepted ?? 0) : fromBinary(BatchCreateResponseSchema, reply).accepted;
      const request = decoded(() => (fuzz.json ? fromJson(BatchCreateRequestSchema, JSON.parse(text)) : fromBinary(BatchCreateRequestSchema, fuzz.body as Uint8Array)))!;
      const kept = request.events.filter((event) => !intakeDropReason(event, stack.projectId, Date.now()));
      expect(kept.length).toBe(accepted);
      acceptedEvents += accepted;
      for (const event of kept) acceptedIds.add(event.eventId.toLowerCase());
    }
  }));
  expect(serverErrors).toEqual([]);
  // The mutations reach both sides of validation: some requests are accepted, many refused.
  expect(statuses.get(200) ?? 0).toBeGreaterThan(100);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(300);
  expect(acceptedEvents).toBeGreaterThan(100);

  await waitFor("the events stream drained", async () => (await stack.queued()) === 0, 60_000);
  const stored = await stack.ch.query({ query: "SELECT DISTINCT toString(event_id) AS id FROM events", format: "JSONCompactEachRow" });
  const storedIds = new Set((await stored.json<[string]>()).map(([id]) => id));
  const dlq = stack.nats.names.stream("events_dlq");
  const letters = await stack.nats.jsm.streams.info(dlq);
  const deadIds = new Set<string>();
  for (let seq = letters.state.first_seq; letters.state.messages > 0 && seq <= letters.state.last_seq; seq++) {
    const letter = await stack.nats.jsm.streams.getMessage(dlq, { seq });
    if (!letter) continue;
    expect(letter.header.get("Pug-Reason")).not.toBe("");
    expect(letter.header.get("Pug-Detail")).not.toBe("");
    for (const event of readQueuedBatches(letter.data).flatMap((batch) => batch.events)) deadIds.add(event.eventId.toLowerCase());
  }
  expect([...storedIds].filter((id) => deadIds.has(id))).toEqual([]);
  expect([...acceptedIds].filter((id) => !storedIds.has(id) && !deadIds.has(id))).toEqual([]);
  expect([...storedIds, ...deadIds].filter((id) => !acceptedIds.has(id))).toEqual([]);

  const profiles = await stack.nats.jsm.streams.info(stack.nats.names.stream("profiles"));
  expect(profiles.state.messages).toBe(identifyPayloads.size);
  expect(identifyPayloads.size).toBeGreaterThan(10);

  const after = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
  expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(after))).status).toBe(200);
  await waitFor("valid events sent after the fuzz stored", async () => (await stack.stored(`event_id IN ('${after[0]!.eventId}', '${after[1]!.eventId}')`)).ids === 2, 20_000);

  const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
  expect(metrics).toContain('pug_role_up{role="events"} 1');
  expect(metrics).not.toMatch(/pug_role_restarts_total\{role="events"\} [1-9]/);
  expect(stack.worker!.output()).not.toContain("role crashed");
  console.log(`fuzz: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(", ")}; ${acceptedEvents} events accepted, ${storedIds.size} stored, ${deadIds.size} dead-lettered; ${identifyPayloads.size} identify calls queued`);
}, 180_000);
