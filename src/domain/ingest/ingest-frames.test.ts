import { describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { IngestBatchSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import { BatchCreateRequestSchema, EventSchema } from "../../gen/sdk/events/v1/events_pb.ts";
import { asGroupMessage, encodeBatch, encodeGroup, groupOf, readQueuedBatches, requestEventBytes } from "./ingest-frames.ts";

const events = [
  create(EventSchema, { eventId: "e1", kind: "page_view", distinctId: "anon-1", autoProperties: { $url: { value: { case: "stringValue", value: "https://a.example/" } } } }),
  create(EventSchema, { eventId: "e2", kind: "custom", distinctId: "anon-1" }),
];
const envelope = { projectId: "p1", receivedAt: 1_700_000_000_123, userAgent: "UA/1", client: { country: "DE", region: "", city: "", visitorHash: "ab" } };

describe("ingest frames", () => {
  test("a dead letter read back goes to `<stream>.group` as a group: a group as it is, a bare batch as a group of one", () => {
    const batch = encodeBatch(envelope, events.map((e) => toBinary(EventSchema, e)));
    const group = encodeGroup([batch, batch]);
    expect(asGroupMessage(group)).toBe(group);
    const framed = asGroupMessage(batch);
    expect(readQueuedBatches(framed, "pug_events.group")).toEqual(readQueuedBatches(batch, "pug_events.ingest"));
    // Bytes that are neither are framed too: the worker dead-letters them again as undecodable.
    expect(() => readQueuedBatches(asGroupMessage(new Uint8Array([0xff, 0xff])), "pug_events.group")).toThrow();
  });

  test("each event's bytes are sliced out of a request as sent, other fields skipped", () => {
    const body = toBinary(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events }));
    const slices = requestEventBytes(body)!;
    expect(slices.map((s) => [...s])).toEqual(events.map((e) => [...toBinary(EventSchema, e)]));
    expect(slices[0]!.buffer).toBe(body.buffer);
    expect(requestEventBytes(new Uint8Array([0x0a, 0x05, 0x01]))).toBeUndefined();
  });

  test("a group of batches framed from event bytes reads back as the batches, events decoded", () => {
    const one = encodeBatch(envelope, events.map((e) => toBinary(EventSchema, e)));
    const two = encodeBatch({ ...envelope, projectId: "p2" }, [toBinary(EventSchema, events[1]!)]);
    const batches = readQueuedBatches(encodeGroup([one, two]), "pug.events.group");
    expect(batches.map((b) => [b.projectId, b.userAgent, timestampMs(b.receivedAt!), b.client?.country, b.events.map((e) => e.eventId)])).toEqual([
      ["p1", "UA/1", 1_700_000_000_123, "DE", ["e1", "e2"]],
      ["p2", "UA/1", 1_700_000_000_123, "DE", ["e2"]],
    ]);
    expect(batches[0]!.events[0]).toEqual(events[0]!);
  });

  test("an old single-batch message reads by its subject, and both formats are told apart without one", () => {
    const legacy = toBinary(IngestBatchSchema, create(IngestBatchSchema, { projectId: "p1", events }));
    expect(readQueuedBatches(legacy, "pug.events.ingest").map((b) => b.projectId)).toEqual(["p1"]);
    expect(readQueuedBatches(legacy).map((b) => b.events.length)).toEqual([2]);
    const group = groupOf(readQueuedBatches(legacy));
    expect(readQueuedBatches(group).map((b) => [b.projectId, b.events.length])).toEqual([["p1", 2]]);
  });

  test("a message cut short is refused whole, with or without its subject", () => {
    const group = encodeGroup([encodeBatch(envelope, events.map((e) => toBinary(EventSchema, e)))]);
    const cut = group.subarray(0, group.length - 3);
    expect(() => readQueuedBatches(cut, "pug.events.group")).toThrow("premature EOF");
    expect(() => readQueuedBatches(cut)).toThrow("premature EOF");
  });
});
