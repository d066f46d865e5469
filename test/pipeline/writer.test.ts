// The stream → ClickHouse writer against real NATS, Postgres and ClickHouse: data that cannot be stored is
// dead-lettered with its reason while the stream moves on, and a standby takes over from a killed leader
// without losing or duplicating anything.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, test } from "bun:test";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { backgroundLoad, expectExactlyOnce, type IngestStack, ingestStack, namedEvents } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";
import { readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";

async function deadLetters(stack: IngestStack): Promise<{ reason: string; detail: string; seq: string; events: string[] }[]> {
  const dlq = stack.nats.names.stream("events_dlq");
  const info = await stack.nats.jsm.streams.info(dlq);
  const letters = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await stack.nats.jsm.streams.getMessage(dlq, { seq });
    if (!message) continue;
    const events = readQueuedBatches(message.data).flatMap((batch) => batch.events).map((event) => event.eventId);
    letters.push({ reason: message.header.get("Pug-Reason"), detail: message.header.get("Pug-Detail"), seq: message.header.get("Pug-Source-Seq"), events });
  }
  return letters;
}

async function workerMetrics(stack: IngestStack): Promise<string> {
  return await (await fetch(`${stack.workerUrl}/metrics`)).text();
}

async function expectNoRestart(stack: IngestStack): Promise<void> {
  const metrics = await workerMetrics(stack);
  expect(metrics).toContain('pug_role_up{role="events"} 1');
  expect(metrics).not.toMatch(/pug_role_restarts_total\{role="events"\} [1-9]/);
  expect(stack.worker!.output()).not.toContain("role crashed");
}

describe("data the writer cannot store", () => {
  test("an event whose enrichment throws is dead-lettered alone with the reason; the worker does not restart and stores the rest", async () => {
    const stack = await ingestStack("poison_enrich", { worker: true });
    try {
      const good = sdkEvent(stack.projectId);
      // Intake never queues an event without occur_time; a message from elsewhere (or an older version) might.
      const broken = sdkEvent(stack.projectId);
      broken.occurTime = undefined;
      const poison = toBinary(IngestBatchSchema, create(IngestBatchSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(Date.now()), client: {}, events: [good, broken] }));
      const published = await stack.nats.js.publish(stack.nats.names.subject("events", "ingest"), poison);
      const after = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(after))).status).toBe(200);

      await waitFor("the good events stored", async () => (await stack.stored()).rows === 3, 20_000);
      await waitFor("the events stream drained", async () => (await stack.queued()) === 0, 10_000);
      const ids = [good, ...after].map((event) => `'${event.eventId}'`).join(", ");
      expect((await stack.stored(`event_id IN (${ids})`)).ids).toBe(3);
      const letters = await deadLetters(stack);
      expect(letters.map((l) => [l.reason, l.seq])).toEqual([["unenrichable", String(published.seq)]]);
      expect(letters[0]!.detail).toStartWith(`${broken.eventId}: TypeError`);
      expect(letters[0]!.events).toEqual([broken.eventId]);
      // The filter schema counts what was stored, not the event dead-lettered.
      expect(await namedEvents(stack)).toBe(3);
      await expectNoRestart(stack);
      expect(await workerMetrics(stack)).toContain('pug_dead_lettered_total{table="events",reason="unenrichable"} 1');
    } finally {
      await stack.stop();
    }
  });

  test("a message ClickHouse keeps refusing is dead-lettered alone; the messages around it in the same range are stored", async () => {
    const stack = await ingestStack("poison_insert", { env: { PUG_EVENTS_BATCH_WAIT_MS: "1000", PUG_EVENTS_PARTITIONS: "1" } });
    try {
      await stack.ch.command({ query: "ALTER TABLE events ADD CONSTRAINT no_poison CHECK kind != 'refused_kind'" });
      const before = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
      const refused = [sdkEvent(stack.projectId), sdkEvent(stack.projectId, { kind: "refused_kind" })];
      const after = [sdkEvent(stack.projectId)];
      // Queued before the worker starts, so all three messages are written as one range first.
      for (const batch of [before, refused, after]) expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(batch))).status).toBe(200);
      const refusedSeq = (await stack.nats.jsm.streams.info(stack.nats.names.stream("events"))).state.first_seq + 1;
      await stack.startWorker();

      await waitFor("the stream drained", async () => (await stack.queued()) === 0, 40_000);
      const stored = await stack.ch.query({ query: "SELECT toString(event_id) AS id FROM events ORDER BY id", format: "JSONCompactEachRow" });
      expect((await stored.json<[string]>()).map(([id]) => id)).toEqual([...before, ...after].map((e) => e.eventId).sort());
      const letters = await deadLetters(stack);
      expect(letters.map((l) => [l.reason, l.seq])).toEqual([["rejected_by_clickhouse", String(refusedSeq)]]);
      expect(letters[0]!.detail).toContain("VIOLATED_CONSTRAINT");

      const later = [sdkEvent(stack.projectId)];
      expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(later))).status).toBe(200);
      await waitFor("an event sent afterwards stored", async () => (await stack.stored(`event_id = '${later[0]!.eventId}'`)).rows === 1, 20_000);
      await waitFor("the stream drained again", async () => (await stack.queued()) === 0, 20_000);
      // The range refused, then written message by message: the filter schema counts each stored event once, the
      // refused message's events not at all.
      expect(await namedEvents(stack)).toBe(4);
      await expectNoRestart(stack);
      expect(await workerMetrics(stack)).toMatch(/pug_writer_insert_failures_total\{table="events",kind="data"\} ([5-9]|\d\d)/);
    } finally {
      await stack.stop();
    }
  }, 90_000);
});

describe("leadership", () => {
  test("a standby takes over from a leader killed with -9 under load: every accepted event is stored exactly once", async () => {
    // One partition: the second worker has nothing to share and waits (test/pipeline/partitions.test.ts shares 4).
    const stack = await ingestStack("standby", { env: { PUG_EVENTS_BATCH_MAX: "200", PUG_RATE_LIMIT_IP_RPS: "0", PUG_LOG_LEVEL: "info", PUG_EVENTS_PARTITIONS: "1" } });
    try {
      // Merges would collapse duplicate rows (ReplacingMergeTree) and hide a double write from count().
      await stack.ch.command({ query: "SYSTEM STOP MERGES events" });
      const leader = await stack.startWorker();
      const standby = await stack.startWorker();
      await waitFor("the second worker waiting as a standby", () => standby.output().includes("waiting as a standby"), 10_000);
      const load = backgroundLoad(stack, { size: 20, pauseMs: 20 });
      await load.progress("some events stored", 500, 30_000);
      leader.proc.kill("SIGKILL");
      await leader.proc.exited;
      const killedAt = Date.now();
      await waitFor("the standby taking over", () => standby.output().includes("took an events partition"), 15_000);
      await load.progress("the standby storing events", 200, 30_000);
      expect(Date.now() - killedAt).toBeLessThan(30_000);
      const accepted = await load.stop();

      await expectExactlyOnce(stack, accepted);
    } finally {
      await stack.stop();
    }
  }, 150_000);

  test("messages a dead leader stored but never acknowledged are removed when the next writer starts, not left for ack_wait", async () => {
    const stack = await ingestStack("leftovers", { env: { PUG_EVENTS_PARTITIONS: "1" } });
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      for (let i = 0; i < 3; i++) expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody([sdkEvent(stack.projectId)]))).status).toBe(200);
      const stream = stack.nats.names.stream("events");
      const { first_seq: first, last_seq: last } = (await stack.nats.jsm.streams.info(stream)).state;
      // What a leader killed between its commit and its acks leaves: the messages delivered to it and unacknowledged,
      // and the ledger saying they are written.
      const consumer = await stack.nats.js.consumers.get(stream, "events-worker");
      const held = [];
      for await (const message of await consumer.fetch({ max_messages: 3, expires: 2_000 })) held.push(message.seq);
      expect(held).toEqual([first, first + 1, last]);
      await sql`INSERT INTO ingest_checkpoints (consumer, committed_seq, planned_first, planned_last) VALUES (${`${stream}/events-worker`}, ${last}, ${first}, ${last})`;

      const worker = await stack.startWorker({ PUG_LOG_LEVEL: "info" });
      await waitFor("the stream emptied", async () => (await stack.queued()) === 0, 5_000);
      expect(worker.output()).toContain("removing messages written before this start but never acknowledged");
      // Stored already by the dead leader (as the ledger says): not written again.
      expect(await stack.stored()).toEqual({ rows: 0, ids: 0 });
    } finally {
      await sql.end();
      await stack.stop();
    }
  });
});

describe("a consumer deleted under the writer", () => {
  test("is not pulled from forever: the role stops with the fix in its log and waits for the consumer to come back", async () => {
    const stack = await ingestStack("consumer_gone", { worker: true });
    try {
      await stack.nats.jsm.consumers.delete(stack.nats.names.stream("events"), "events-worker");
      await waitFor("the worker to say the consumer is gone", () => /consumer .*events-worker is (gone|not there).*pug nats migrate/.test(stack.worker!.output()), 20_000);
      expect(await workerMetrics(stack)).toMatch(/pug_role_restarts_total\{role="events"\} [1-9]/);
    } finally {
      await stack.stop();
    }
  });
});
