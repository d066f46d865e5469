// A message the worker can never store goes to the dead-letter stream with its reason, and the stream moves on;
// `pug events replay-dlq` moves it back once what refused it is fixed.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { partitionStream } from "../../src/domain/ingest/event-partitions.ts";
import { groupOf } from "../../src/domain/ingest/ingest-frames.ts";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { createLogger } from "../../src/logger.ts";
import { deadLetter } from "../../src/pipeline/dead-letter.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { batchBody, CHROME_UA, sdkEvent, sdkRequest } from "../support/sdk-events.ts";

const silentLog = createLogger({ level: "error" });
let stack: IngestStack;
beforeAll(async () => {
  stack = await ingestStack("dlq", { worker: true, env: { PUG_EVENTS_PARTITIONS: "4" } });
});
afterAll(() => stack.stop());

test("an undecodable message is dead-lettered with its reason while the events after it are stored", async () => {
  const poison = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff]);
  const published = await stack.nats.js.publish(stack.nats.names.subject("events", "ingest"), poison);
  const events = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
  expect((await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(events))).status).toBe(200);

  await waitFor("the good events stored", async () => (await stack.stored()).rows === 2, 20_000);
  await waitFor("the events stream drained", async () => (await stack.queued()) === 0, 10_000);

  const dlq = stack.nats.names.stream("events_dlq");
  const info = await stack.nats.jsm.streams.info(dlq);
  expect(info.state.messages).toBe(1);
  const message = await stack.nats.jsm.streams.getMessage(dlq, { seq: info.state.first_seq });
  expect(message!.header.get("Pug-Reason")).toBe("undecodable");
  expect(message!.header.get("Pug-Source-Seq")).toBe(String(published.seq));
  expect(message!.header.get("Pug-Detail")).not.toBe("");
  expect([...message!.data]).toEqual([...poison]);

  const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
  expect(metrics).toContain('pug_dead_lettered_total{table="events",reason="undecodable"} 1');
  expect(metrics).toContain('pug_writer_rows_total{table="events"} 2');
  expect(metrics).toMatch(/pug_writer_insert_seconds_count\{table="events"\} [1-9]/);
  expect(metrics).toMatch(/pug_writer_batch_rows_sum\{table="events"\} 2/);
  expect(metrics).toMatch(new RegExp(`pug_nats_consumer_pending\\{stream="${stack.env.PUG_NATS_PREFIX}_events",consumer="events-worker"\\} 0`));
});

test("`pug events replay-dlq` moves fixable dead letters back onto their partitions, where they are stored once", async () => {
  const batch = (events: ReturnType<typeof sdkEvent>[]) =>
    create(IngestBatchSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(Date.now()), userAgent: CHROME_UA, client: {}, events });
  const grouped = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
  const legacy = [sdkEvent(stack.projectId)];
  const lastPartition = partitionStream(stack.partitions - 1);
  const signal = AbortSignal.timeout(10_000);
  // As the writer dead-letters them: a group it could not enrich (a bug since fixed), and a message of an older
  // server (a bare IngestBatch) that ClickHouse refused; bytes that are no message at all stay where they are.
  await deadLetter(stack.nats, { stream: "events", to: "events_dlq", seq: 1_000_001, data: groupOf([batch(grouped)]), reason: "unenrichable", detail: "a bug" }, signal, silentLog);
  await deadLetter(stack.nats, { stream: lastPartition, to: "events_dlq", seq: 1_000_002, data: toBinary(IngestBatchSchema, batch(legacy)), reason: "rejected_by_clickhouse", detail: "a schema mistake" }, signal, silentLog);
  await deadLetter(stack.nats, { stream: "events", to: "events_dlq", seq: 1_000_003, data: new Uint8Array([0xff, 0xfe]), reason: "undecodable", detail: "garbage" }, signal, silentLog);
  const dlq = stack.nats.names.stream("events_dlq");
  const lettersBefore = (await stack.nats.jsm.streams.info(dlq)).state.messages;
  const target = stack.nats.names.stream(lastPartition);
  const targetBefore = (await stack.nats.jsm.streams.info(target)).state.last_seq;

  const replay = async (...flags: string[]) => expectSuccess(await runPug(["events", "replay-dlq", ...flags], stack.env)).stdout;
  const dry = await replay("--dry-run");
  expect(dry).toMatch(/^ {2}#\d+ {2}unenrichable {2}failed at \S+: a bug$/m);
  expect(dry).toMatch(/^ {2}#\d+ {2}rejected_by_clickhouse {2}failed at \S+: a schema mistake$/m);
  expect(dry).toContain("would replay 2 messages from events_dlq onto the events partitions\n");
  expect(dry).toMatch(/^left \d+ dead letters? in events_dlq: \d+ dead-lettered for another reason than unenrichable, unencodable, rejected_by_clickhouse \(see --reason, --since\)$/m);
  expect((await stack.nats.jsm.streams.info(dlq)).state.messages).toBe(lettersBefore);

  expect(await replay()).toContain("replayed 2 messages from events_dlq onto the events partitions\n");
  const ids = [...grouped, ...legacy].map((event) => `'${event.eventId}'`).join(",");
  await waitFor("the replayed events stored", async () => (await stack.stored(`event_id IN (${ids})`)).ids === 3, 20_000);
  expect(await stack.stored(`event_id IN (${ids})`)).toEqual({ rows: 3, ids: 3 });
  expect((await stack.nats.jsm.streams.info(dlq)).state.messages).toBe(lettersBefore - 2);
  // The older server's message went back to the partition it came from.
  expect((await stack.nats.jsm.streams.info(target)).state.last_seq).toBe(targetBefore + 1);
  expect(await replay()).toContain("replayed 0 messages from events_dlq onto the events partitions\n");
});

test("`pug events replay-dlq` with an unknown reason is a usage error naming the known ones", async () => {
  const result = await runPug(["events", "replay-dlq", "--reason", "bounced"], stack.env);
  expect([result.code, result.stderr.split("\n")[0]]).toEqual([2, "pug: --reason: unknown reason 'bounced' (reasons: undecodable, unenrichable, unencodable, rejected_by_clickhouse)"]);
});

test("a message dead-lettered whole after its conversion and replayed at once is no repeat: it is converted again", async () => {
  // An event id that is no UUID: converted (its request remembered), then refused by the encoder, whole.
  const event = { ...sdkEvent(stack.projectId), eventId: "not-a-uuid" };
  const request = create(IngestBatchSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(Date.now()), userAgent: CHROME_UA, client: {}, events: [event] });
  const dlq = stack.nats.names.stream("events_dlq");
  const unencodable = async () => {
    const { state } = await stack.nats.jsm.streams.info(dlq);
    let n = 0;
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      if ((await stack.nats.jsm.streams.getMessage(dlq, { seq }))?.header.get("Pug-Reason") === "unencodable") n++;
    }
    return n;
  };
  await stack.nats.js.publish(stack.nats.names.subject("events", "group"), groupOf([request]));
  await waitFor("the message dead-lettered as unencodable", async () => (await unencodable()) === 1, 20_000);

  expect(expectSuccess(await runPug(["events", "replay-dlq", "--reason", "unencodable"], stack.env)).stdout).toContain("replayed 1 message from events_dlq");
  // Dropped as a repeat, it would be acknowledged and gone; converted again, it is refused again.
  await waitFor("the replayed message dead-lettered again", async () => (await unencodable()) === 1 && (await stack.queued()) === 0, 20_000);
  const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
  expect(metrics).toMatch(/^pug_events_repeated_total 0$/m);
  expect(metrics).toMatch(/^pug_dead_lettered_total\{table="events",reason="unencodable"\} 2$/m);
});
