// Group commit at intake: concurrent requests share JetStream messages, each request is answered only once the
// message holding it is stored, a refused group refuses every request in it, and the worker writes every format.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { groupOf, readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { publishEvents } from "../../src/server/sdk/ingest-publisher.ts";
import { expectExactlyOnce, type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { batchBody, CHROME_UA, sdkEvent, sdkRequest, str } from "../support/sdk-events.ts";

let stack: IngestStack;
let stream: string;
beforeAll(async () => {
  stack = await ingestStack("groupcommit");
  stream = stack.nats.names.stream("events");
});
afterAll(() => stack.stop());

/** Where each event id in the events stream is stored: message sequence and subject. */
async function streamContents(): Promise<Map<string, { seq: number; requests: number }>> {
  const { state } = await stack.nats.jsm.streams.info(stream);
  const found = new Map<string, { seq: number; requests: number }>();
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await stack.nats.jsm.streams.getMessage(stream, { seq });
    if (!message) continue;
    const batches = readQueuedBatches(message.data, message.subject);
    for (const batch of batches) for (const event of batch.events) found.set(event.eventId, { seq, requests: batches.length });
  }
  return found;
}

/** `count` single-event requests sent at once (one person each); per request its event id, status and the stream's last sequence when the answer came. */
async function concurrentRequests(count: number) {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const event = sdkEvent(stack.projectId, { distinctId: `anon-group-${index}-${crypto.randomUUID()}` });
      const response = await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([event]));
      const lastSeqAtAnswer = (await stack.nats.jsm.streams.info(stream)).state.last_seq;
      return { eventId: event.eventId, status: response.status, body: await response.text(), lastSeqAtAnswer };
    }),
  );
}

const accepted = new Set<string>();
const refused = new Set<string>();

describe("group commit", () => {
  test("concurrent requests share messages, and each is answered only once the message holding it is stored", async () => {
    const before = (await stack.nats.jsm.streams.info(stream)).state.messages;
    const answers = await concurrentRequests(64);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const stored = await streamContents();
    for (const answer of answers) {
      const where = stored.get(answer.eventId);
      expect(where).toBeDefined();
      // The message holding the event was in the stream when the client had its answer. (An answer given before
      // the publish completes is caught by the next test: there the publish fails after such an answer.)
      expect(where!.seq).toBeLessThanOrEqual(answer.lastSeqAtAnswer);
      accepted.add(answer.eventId);
    }
    const messages = (await stack.nats.jsm.streams.info(stream)).state.messages - before;
    expect(messages).toBeLessThan(answers.length);
    expect(Math.max(...[...stored.values()].map((where) => where.requests))).toBeGreaterThan(1);
  });

  test("when JetStream refuses a group's message, every request in it gets a retryable error and none of its events is stored", async () => {
    const { state, config } = await stack.nats.jsm.streams.info(stream);
    // Room for one more message: the first request goes out alone at once and is stored; the requests that
    // gathered while it was in flight are refused together (discard new).
    await stack.nats.jsm.streams.update(stream, { ...config, max_msgs: state.messages + 1 });
    let answers: Awaited<ReturnType<typeof concurrentRequests>>;
    try {
      answers = await concurrentRequests(48);
    } finally {
      await stack.nats.jsm.streams.update(stream, { ...config, max_msgs: -1 });
    }
    const stored = await streamContents();
    for (const answer of answers) {
      if (answer.status === 200) {
        expect(stored.has(answer.eventId)).toBe(true);
        accepted.add(answer.eventId);
      } else {
        expect(answer.status).toBe(503);
        expect(JSON.parse(answer.body).code).toBe("unavailable");
        expect(stored.has(answer.eventId)).toBe(false);
        refused.add(answer.eventId);
      }
    }
    expect(answers.length - refused.size).toBeGreaterThanOrEqual(1);
    expect(refused.size).toBeGreaterThan(1);
  });

  test("a request too large for one message is split into messages of its own, and sent again it is stored once", async () => {
    const big = () => sdkEvent(stack.projectId, { customProperties: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, str("x".repeat(1000))])) });
    const events = [big(), big(), big(), big()];
    const body = gzipSync(batchBody(events));
    const before = (await stack.nats.jsm.streams.info(stream)).state.messages;
    expect((await sdkRequest(stack.baseUrl, stack.publicKey, body, { "content-encoding": "gzip" })).status).toBe(200);
    const after = (await stack.nats.jsm.streams.info(stream)).state.messages;
    expect(after - before).toBeGreaterThan(1);
    const stored = await streamContents();
    for (const event of events) {
      expect(stored.get(event.eventId)?.requests).toBe(1);
      accepted.add(event.eventId);
    }
    // The SDK's retry: every part has the msgID it had, so JetStream drops them all.
    expect((await sdkRequest(stack.baseUrl, stack.publicKey, body, { "content-encoding": "gzip" })).status).toBe(200);
    expect((await stack.nats.jsm.streams.info(stream)).state.messages).toBe(after);
  });

  test("the worker stores every accepted event once, also from a message queued in the old format, and nothing refused", async () => {
    const old = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
    await publishEvents(stack.nats, old, { projectId: stack.projectId, client: { country: "", region: "", city: "", visitorHash: "" }, userAgent: CHROME_UA, receivedAt: Date.now() });
    for (const event of old) accepted.add(event.eventId);
    await stack.startWorker();
    await expectExactlyOnce(stack, accepted);
    const ids = [...refused].map((id) => `'${id}'`).join(",");
    expect((await stack.stored(`event_id IN (${ids})`)).rows).toBe(0);
  });

  test("a request of a group that cannot be enriched is dead-lettered as a group, and the group's other requests are stored", async () => {
    const good = sdkEvent(stack.projectId);
    const bad = sdkEvent(stack.projectId);
    const batch = (receivedAt: number | undefined, event: typeof good) =>
      create(IngestBatchSchema, { projectId: stack.projectId, receivedAt: receivedAt === undefined ? undefined : timestampFromMs(receivedAt), userAgent: CHROME_UA, client: {}, events: [event] });
    // No received_at: the worker cannot enrich it (the server always sets one).
    await stack.nats.js.publish(stack.nats.names.subject("events", "group"), groupOf([batch(Date.now(), good), batch(undefined, bad)]));

    await waitFor("the good event stored", async () => (await stack.stored(`event_id = '${good.eventId}'`)).rows === 1, 20_000);
    const dlq = stack.nats.names.stream("events_dlq");
    await waitFor("a dead letter", async () => (await stack.nats.jsm.streams.info(dlq)).state.messages === 1, 10_000);
    const letter = await stack.nats.jsm.streams.getMessage(dlq, { seq: (await stack.nats.jsm.streams.info(dlq)).state.first_seq });
    expect(letter!.header.get("Pug-Reason")).toBe("unenrichable");
    // Read back without its subject, the dead letter is the refused request alone, in the group format.
    expect(readQueuedBatches(letter!.data).map((b) => b.events.map((e) => e.eventId))).toEqual([[bad.eventId]]);
    expect(toBinary(IngestBatchSchema, readQueuedBatches(letter!.data)[0]!)).toEqual(toBinary(IngestBatchSchema, batch(undefined, bad)));
    expect((await stack.stored(`event_id = '${bad.eventId}'`)).rows).toBe(0);
  });
});
