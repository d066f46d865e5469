// The queue's message formats, framed from bytes already at hand. Intake forwards each event as the SDK encoded it
// (sliced out of the request body), so an event is decoded once at intake (to validate it) and once in the worker,
// and never encoded again. Protobuf allows this: a message is the concatenation of its fields, so an IngestBatch is
// its envelope (project, time, user agent, client facts) followed by one `events` field per event's bytes, and an
// IngestGroup is one `batches` field per encoded IngestBatch.

import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type IngestBatch, IngestBatchSchema, IngestGroupSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { ClientFactsInit } from "./client-facts.ts";
import { decodeIngestBatch, decodeIngestGroup } from "./event-decoder.ts";

/** Field numbers of the wire formats framed here (proto/sdk/events/v1, proto/internal/ingest/v1). */
const REQUEST_EVENTS = 1; // BatchCreateRequest.events
const BATCH_EVENTS = 5; // IngestBatch.events
const GROUP_BATCHES = 16; // IngestGroup.batches

/** The request context queued beside a request's events. */
export interface BatchEnvelope {
  projectId: string;
  receivedAt: number;
  userAgent: string;
  /** Derived from the client IP, which is never queued. */
  client: ClientFactsInit;
}

/**
 * The bytes of each event in a binary BatchCreateRequest, in order (views into `body`, not copies). Undefined when
 * the body is not a well-formed BatchCreateRequest: the caller then encodes the decoded events instead.
 */
export function requestEventBytes(body: Uint8Array): Uint8Array[] | undefined {
  const reader = new BinaryReader(body);
  const events: Uint8Array[] = [];
  try {
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo === REQUEST_EVENTS && wireType === WireType.LengthDelimited) events.push(reader.bytes());
      else reader.skip(wireType, fieldNo);
    }
  } catch {
    // The reader throws only on malformed input (a truncated field, an invalid wire type).
    return undefined;
  }
  return events;
}

/** An encoded IngestBatch of `events` (each an encoded sdk.events.v1.Event) under `envelope`. */
export function encodeBatch(envelope: BatchEnvelope, events: readonly Uint8Array[]): Uint8Array {
  const head = toBinary(
    IngestBatchSchema,
    create(IngestBatchSchema, { projectId: envelope.projectId, receivedAt: timestampFromMs(envelope.receivedAt), userAgent: envelope.userAgent, client: envelope.client }),
  );
  const writer = new BinaryWriter().raw(head);
  for (const event of events) writer.tag(BATCH_EVENTS, WireType.LengthDelimited).bytes(event);
  return writer.finish();
}

/** An encoded IngestGroup of encoded IngestBatches. */
export function encodeGroup(batches: readonly Uint8Array[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const batch of batches) writer.tag(GROUP_BATCHES, WireType.LengthDelimited).bytes(batch);
  return writer.finish();
}

/** What one batch adds to a group beyond its own bytes: the field's tag (2 bytes) and length (at most 5). */
export const GROUP_FRAMING_BYTES = 7;

/** The subject tokens (after the stream's) of each format: `<stream>.group` today, `events.ingest` before. */
export const GROUP_SUBJECT = "group";
export const LEGACY_SUBJECT = "ingest";

/**
 * The batches of a queued message. A message on `<stream>.group` is an IngestGroup; anything else is one IngestBatch
 * (what servers before group commit queued on `events.ingest`). Without a subject (a dead letter read back) the bytes
 * say which: see IngestGroup in ingest.proto. Throws when the bytes are neither.
 */
export function readQueuedBatches(data: Uint8Array, subject?: string): IngestBatch[] {
  if (subject === undefined) {
    const batches = decodeIngestGroup(data).batches;
    return batches.length > 0 ? batches : [decodeIngestBatch(data)];
  }
  return subject.endsWith(`.${GROUP_SUBJECT}`) ? decodeIngestGroup(data).batches : [decodeIngestBatch(data)];
}

/**
 * A queued message (a dead letter read back) in the format of `<stream>.group`: a group as it is, anything else (a
 * bare IngestBatch, or bytes that are neither, which the worker then dead-letters again) framed as a group of one.
 */
export function asGroupMessage(data: Uint8Array): Uint8Array {
  let isGroup = false;
  try {
    isGroup = decodeIngestGroup(data).batches.length > 0;
  } catch {
    // Not decodable as a group: so not one.
  }
  return isGroup ? data : encodeGroup([data]);
}

/** A group of already decoded batches, for the part of a message that is dead-lettered. */
export function groupOf(batches: IngestBatch[]): Uint8Array {
  return toBinary(IngestGroupSchema, create(IngestGroupSchema, { batches }));
}
