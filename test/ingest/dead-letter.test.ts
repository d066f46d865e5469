// A message the worker can never store goes to the dead-letter stream with its reason, and the stream moves on.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";

let stack: IngestStack;
beforeAll(async () => {
  stack = await ingestStack("dlq", { worker: true });
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
