// Group commit at intake: concurrent requests share JetStream messages, each request is answered only once the
// message holding it is stored, a refused group refuses every request in it, and the worker writes every format.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { groupOf, readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { publishEvents } from "../../src/server/sdk/ingest-publisher.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { expectExactlyOnce, type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { startNats } from "../support/private-servers.ts";
import { queuedEvents } from "../support/queued-events.ts";
import { waitFor } from "../support/ports.ts";
import { batchBody, CHROME_UA, sdkEvent, sdkRequest, str } from "../support/sdk-events.ts";

let stack: IngestStack;
let stream: string;
beforeAll(async () => {
  // One partition: these tests count the messages of one stream (routing among partitions: sdk-wire, partitions).
  stack = await ingestStack("groupcommit", { env: { PUG_EVENTS_PARTITIONS: "1" } });
  stream = stack.nats.names.stream("events");
});
afterAll(() => stack.stop());

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
    const stored = await queuedEvents(stack.nats);
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
    const stored = await queuedEvents(stack.nats);
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
    const stored = await queuedEvents(stack.nats);
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
  test("a request queued twice (its retry after a lost answer, in another group or the same one) is stored and counted once", async () => {
    const person = (tag: string) => `anon-repeat-${tag}-${crypto.randomUUID()}`;
    const request = (receivedAt: number, events: ReturnType<typeof sdkEvent>[]) =>
      create(IngestBatchSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(receivedAt), userAgent: CHROME_UA, client: {}, events });
    const retried = [person("a"), person("a")].map((distinctId) => sdkEvent(stack.projectId, { distinctId }));
    const sameGroup = [sdkEvent(stack.projectId, { distinctId: person("d") })];
    const others = [person("b"), person("c")].map((distinctId) => sdkEvent(stack.projectId, { distinctId }));
    const subject = stack.nats.names.subject("events", "group");
    const now = Date.now();
    // The first attempt, stored though its answer was lost; the retry, stamped later by the server, in another
    // group; and a retry that joined the very group its first attempt waited in.
    await stack.nats.js.publish(subject, groupOf([request(now, [others[0]!]), request(now, retried)]));
    await stack.nats.js.publish(subject, groupOf([request(now + 3_000, retried), request(now + 3_000, [others[1]!])]));
    await stack.nats.js.publish(subject, groupOf([request(now, sameGroup), request(now + 1, sameGroup)]));

    if (!stack.worker) await stack.startWorker();
    const all = [...retried, ...sameGroup, ...others];
    const ids = all.map((event) => `'${event.eventId}'`).join(",");
    await waitFor("every event stored", async () => (await stack.stored(`event_id IN (${ids})`)).ids === all.length, 20_000);
    expect(await stack.stored(`event_id IN (${ids})`)).toEqual({ rows: all.length, ids: all.length });
    // The views fed by inserts count each event once: a repeat would have been summed, not collapsed.
    const days = await stack.ch.query({
      query: "SELECT distinct_id, toUInt32(sum(events)) AS events FROM profile_days WHERE distinct_id IN {ids:Array(String)} GROUP BY distinct_id ORDER BY distinct_id",
      query_params: { ids: all.map((event) => event.distinctId) },
      format: "JSONEachRow",
    });
    expect(await days.json()).toEqual(all.map((event) => ({ distinct_id: event.distinctId, events: 1 })).sort((a, b) => a.distinct_id.localeCompare(b.distinct_id)));
  });
});

describe("group commit through a NATS outage", () => {
  test("requests sent while NATS stops and comes back are each stored whole or refused as retryable, never half", async () => {
    const nats = await startNats();
    const outage = await ingestStack("groupcommit_outage", {
      // No rate limits: eight senders flat out would otherwise be refused by them, not by the outage.
      env: { NATS_URL: nats.url, PUG_EVENTS_PARTITIONS: "1", PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_EPS: "0" },
    });
    try {
      await outage.nats.close();
      const sent: { ids: string[]; status: number; code?: string }[] = [];
      let sending = true;
      const senders = Array.from({ length: 8 }, async (_, sender) => {
        for (let i = 0; sending; i++) {
          // Three events a request, so a request half stored would show.
          const events = Array.from({ length: 3 }, () => sdkEvent(outage.projectId, { distinctId: `anon-outage-${sender}-${i}` }));
          const response = await sdkRequest(outage.baseUrl, outage.publicKey, batchBody(events));
          const code = response.status === 200 ? undefined : ((await response.json()) as { code?: string }).code;
          sent.push({ ids: events.map((e) => e.eventId), status: response.status, code });
        }
      });
      await Bun.sleep(500);
      await nats.pause();
      // Longer than a publish's timeout (3 s), so requests waiting on it are refused.
      await Bun.sleep(4_000);
      await nats.resume();
      await Bun.sleep(1_000);
      sending = false;
      await Promise.all(senders);

      const inspector = await connectNats({ url: nats.url, prefix: outage.env.PUG_NATS_PREFIX });
      try {
        const queued = await queuedEvents(inspector);
        const refusedRequests = sent.filter((request) => request.status !== 200);
        expect(refusedRequests.length).toBeGreaterThan(1);
        expect(sent.length - refusedRequests.length).toBeGreaterThan(1);
        for (const request of sent) {
          const stored = request.ids.filter((id) => queued.has(id)).length;
          if (request.status === 200) expect(stored).toBe(3);
          else {
            expect([request.status, request.code]).toEqual([503, "unavailable"]);
            // A publish that timed out may still have been stored: then all of the request, which its retry repeats.
            expect([0, 3]).toContain(stored);
          }
        }
      } finally {
        await inspector.close();
      }
    } finally {
      await outage.server.stop();
      await outage.ch.close();
      await nats.stop();
    }
  }, 90_000);
});
