// CPU per event of decoding what intake and the events worker decode: fromBinary against event-decoder.ts, on SDK
// events as the web SDK builds them (test/support/sdk-events.ts, ~440 bytes each). Runs the two in turns, several
// rounds, and prints the median µs per event of each.
//   bun scripts/bench/event-decode.ts [--rounds 7] [--ms 300]
// On the 2-core dev box (Bun 1.4.5, shared): batches of 50 in a request 7.9 → 4.3 µs an event, single-event
// requests 7.6 → 3.6, groups of 4 × 50 as the worker reads them 8.4 → 4.4. With short strings interned (the box
// busy with other work, fromBinary at 11–15 µs): the decoder 7.3 → 1.9–2.3 for batches of 50, 4.8 → 2.6–3.0 for
// single events, 7.3 → 2.0–3.0 for groups of 4 × 50.

import { type DescMessage, fromBinary } from "@bufbuild/protobuf";
import { parseArgs } from "node:util";
import { decodeBatchCreateRequest, decodeIngestGroup } from "../../src/domain/ingest/event-decoder.ts";
import { encodeBatch, encodeGroup, requestEventBytes } from "../../src/domain/ingest/ingest-frames.ts";
import { IngestGroupSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { BatchCreateRequestSchema } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { percentile } from "./lib/percentile.ts";
import { batchBody, sdkEvent } from "../../test/support/sdk-events.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" }, ms: { type: "string", default: "300" } } });
const rounds = Number(values.rounds);
const budgetNs = Number(values.ms) * 1e6;

const projectId = "0190b6f0-0000-7000-8000-00000000abcd";
const request = (size: number) => batchBody(Array.from({ length: size }, () => sdkEvent(projectId)));
/** What the worker reads: a group of `requests` requests of `size` events each, as intake queues them. */
function group(requests: number, size: number): Uint8Array {
  const envelope = { projectId, receivedAt: Date.now(), userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0", client: { country: "GB", region: "", city: "", visitorHash: "" } };
  return encodeGroup(Array.from({ length: requests }, () => encodeBatch(envelope, requestEventBytes(request(size))!)));
}

interface Case {
  name: string;
  bytes: Uint8Array;
  events: number;
  schema: DescMessage;
  decode: (bytes: Uint8Array) => unknown;
}
const cases: Case[] = [
  { name: "BatchCreateRequest, 1 event", bytes: request(1), events: 1, schema: BatchCreateRequestSchema, decode: decodeBatchCreateRequest },
  { name: "BatchCreateRequest, 50 events", bytes: request(50), events: 50, schema: BatchCreateRequestSchema, decode: decodeBatchCreateRequest },
  { name: "IngestGroup, 8 requests × 1 event", bytes: group(8, 1), events: 8, schema: IngestGroupSchema, decode: decodeIngestGroup },
  { name: "IngestGroup, 4 requests × 50 events", bytes: group(4, 50), events: 200, schema: IngestGroupSchema, decode: decodeIngestGroup },
];

/** µs per event of `decode` run for about the time budget. */
function timed(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array, events: number): number {
  let calls = 0;
  const start = Bun.nanoseconds();
  let elapsed = 0;
  while (elapsed < budgetNs) {
    for (let i = 0; i < 20; i++) decode(bytes);
    calls += 20;
    elapsed = Bun.nanoseconds() - start;
  }
  return elapsed / 1000 / calls / events;
}

console.log(`bun ${Bun.version}; ${rounds} rounds of ${values.ms} ms per decoder and case, in turns; median µs per event`);
for (const c of cases) {
  const library = (bytes: Uint8Array) => fromBinary(c.schema, bytes);
  // Warm both up before measuring.
  timed(library, c.bytes, c.events);
  timed(c.decode, c.bytes, c.events);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    a.push(timed(library, c.bytes, c.events));
    b.push(timed(c.decode, c.bytes, c.events));
  }
  const [fromBinaryUs, decoderUs] = [percentile(a, 0.5), percentile(b, 0.5)];
  const perEvent = Math.round(c.bytes.byteLength / c.events);
  console.log(`${c.name.padEnd(38)} ${String(perEvent).padStart(4)} B/event   fromBinary ${fromBinaryUs.toFixed(2)} µs   event-decoder ${decoderUs.toFixed(2)} µs   ×${(fromBinaryUs / decoderUs).toFixed(1)}`);
}
