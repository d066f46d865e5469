// Decoders for the messages every event passes through twice (intake validates a BatchCreateRequest, the events
// worker reads IngestGroups), written out per field on the library's own BinaryReader. They return exactly what
// `fromBinary` returns for these messages (the generated types with `$typeName`, zero values for absent fields,
// unknown fields kept in `$unknown`, a repeated singular message merged, the last map entry of a key winning) and
// throw where it throws, at a quarter to a third of the cost (scripts/bench/event-decode.ts): fromBinary's generic field loop and
// its string path (an Array of char codes per string, slow in Bun) are most of an event's decode time. A field of these messages
// added to a .proto must be added here too; event-decoder.test.ts compares the two on every field.

import type { Message } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";
import type { PropertyValue } from "../../gen/common/v1/property_value_pb.ts";
import type { ClientFacts, IngestBatch, IngestGroup } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { BatchCreateRequest, Event } from "../../gen/sdk/events/v1/events_pb.ts";

/**
 * fromBinary's default: skipping an unknown group may nest this deep, less the depth of the message holding it.
 * (Messages themselves nest at most five deep here.)
 */
const RECURSION_LIMIT = 100;

/**
 * Proto3 strings must be valid UTF-8: fromBinary refuses invalid bytes with this same decoder (fatal), and keeps a
 * leading U+FEFF as text (ignoreBOM).
 */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Short ASCII strings last decoded, by a hash of their bytes. Property keys, event kinds, browser names and the
 * like repeat in nearly every event: handing back the string already made skips a native call and an allocation
 * per string (together ~13% of the events worker's decode). A slot holds the last string hashed to it.
 */
const interned: (string | undefined)[] = new Array(4096);
const INTERNED_MAX_LENGTH = 48;

/** Whether the ASCII `text` is the bytes at `start`. */
function spells(text: string, data: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== data[start + i]) return false;
  return true;
}

/** The library's reader with a faster tag and string read; every other read is the library's own. */
class EventReader extends BinaryReader {
  /** The last field's number and wire type, as field() read them. */
  fieldNo = 0;
  wireType: WireType = 0;
  /** The same bytes as a Buffer, which makes a string of a range without a view of it first. */
  private readonly text: Buffer;

  constructor(private readonly data: Uint8Array) {
    super(data);
    this.text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * The next field's number, its wire type left in `wireType`: the library's tag() with its checks, less the pair it
   * allocates per field (~10% of an event's decode).
   */
  field(): number {
    const start = this.pos;
    const tag = this.uint32();
    const read = this.pos - start;
    if (read > 5 || (read === 5 && this.data[this.pos - 1]! > 0x0f)) throw new Error("illegal tag: varint overflows uint32");
    this.fieldNo = tag >>> 3;
    this.wireType = tag & 7;
    if (this.fieldNo <= 0 || this.wireType > 5) throw new Error(`illegal tag: field no ${this.fieldNo} wire type ${this.wireType}`);
    return this.fieldNo;
  }

  /**
   * Skips the field just read, which `message`'s schema does not know, keeping its bytes in `$unknown` (so that
   * encoding the message again keeps it), as fromBinary does. `depth` is the message's own.
   */
  keepUnknown(message: Message, depth: number): void {
    const data = this.skip(this.wireType, this.fieldNo, RECURSION_LIMIT - depth);
    (message.$unknown ??= []).push({ no: this.fieldNo, wireType: this.wireType, data });
  }

  /**
   * A string field. Most strings are ASCII: checking that in JS and slicing costs half of TextDecoder's decode of
   * a view (on SDK events, 39 against 77 ns a string; 4.2 against 5.4 µs an event). Anything else goes to the
   * fatal decoder, as in fromBinary.
   */
  utf8(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    // What the library's bounds check throws.
    if (end > this.len) throw new RangeError("premature EOF");
    this.pos = end;
    const data = this.data;
    let hash = length;
    for (let i = start; i < end; i++) {
      const byte = data[i]!;
      if (byte > 0x7f) return utf8.decode(data.subarray(start, end));
      hash = (Math.imul(hash, 31) + byte) | 0;
    }
    if (length > INTERNED_MAX_LENGTH) return this.text.toString("latin1", start, end);
    const slot = hash & (interned.length - 1);
    const known = interned[slot];
    if (known !== undefined && known.length === length && spells(known, data, start)) return known;
    return (interned[slot] = this.text.toString("latin1", start, end));
  }
}

export function decodeBatchCreateRequest(bytes: Uint8Array): BatchCreateRequest {
  const reader = new EventReader(bytes);
  const message: BatchCreateRequest = { $typeName: "sdk.events.v1.BatchCreateRequest", events: [] };
  while (reader.pos < bytes.byteLength) {
    if (reader.field() === 1) message.events.push(readEvent(reader, reader.uint32(), 2));
    else reader.keepUnknown(message, 1);
  }
  return message;
}

export function decodeEvent(bytes: Uint8Array): Event {
  const reader = new EventReader(bytes);
  return readEvent(reader, bytes.byteLength, 1);
}

export function decodeIngestBatch(bytes: Uint8Array): IngestBatch {
  const reader = new EventReader(bytes);
  return readIngestBatch(reader, bytes.byteLength, 1);
}

export function decodeIngestGroup(bytes: Uint8Array): IngestGroup {
  const reader = new EventReader(bytes);
  const message: IngestGroup = { $typeName: "internal.ingest.v1.IngestGroup", batches: [] };
  while (reader.pos < bytes.byteLength) {
    if (reader.field() === 16) message.batches.push(readIngestBatch(reader, reader.uint32(), 2));
    else reader.keepUnknown(message, 1);
  }
  return message;
}

// Like fromBinary, a field is read by its number as the schema's type whatever its wire type says, and a nested
// message's reads may run past its declared end as long as they stay inside the buffer.

function readIngestBatch(reader: EventReader, length: number, depth: number): IngestBatch {
  const message: IngestBatch = { $typeName: "internal.ingest.v1.IngestBatch", projectId: "", clientIp: "", userAgent: "", events: [] };
  const end = reader.pos + length;
  while (reader.pos < end) {
    switch (reader.field()) {
      case 1:
        message.projectId = reader.utf8();
        break;
      case 2:
        message.receivedAt = readTimestamp(message.receivedAt, reader, reader.uint32(), depth + 1);
        break;
      case 3:
        message.clientIp = reader.utf8();
        break;
      case 4:
        message.userAgent = reader.utf8();
        break;
      case 5:
        message.events.push(readEvent(reader, reader.uint32(), depth + 1));
        break;
      case 6:
        message.client = readClientFacts(message.client, reader, reader.uint32(), depth + 1);
        break;
      default:
        reader.keepUnknown(message, depth);
    }
  }
  return message;
}

function readClientFacts(existing: ClientFacts | undefined, reader: EventReader, length: number, depth: number): ClientFacts {
  const message: ClientFacts = existing ?? { $typeName: "internal.ingest.v1.ClientFacts", country: "", region: "", city: "", visitorHash: "" };
  const end = reader.pos + length;
  while (reader.pos < end) {
    switch (reader.field()) {
      case 1:
        message.country = reader.utf8();
        break;
      case 2:
        message.region = reader.utf8();
        break;
      case 3:
        message.city = reader.utf8();
        break;
      case 4:
        message.visitorHash = reader.utf8();
        break;
      default:
        reader.keepUnknown(message, depth);
    }
  }
  return message;
}

function readEvent(reader: EventReader, length: number, depth: number): Event {
  const message: Event = {
    $typeName: "sdk.events.v1.Event",
    eventId: "",
    autoProperties: {},
    customProperties: {},
    distinctId: "",
    kind: "",
    sessionId: "",
    cookieless: false,
  };
  const end = reader.pos + length;
  while (reader.pos < end) {
    switch (reader.field()) {
      case 1:
        message.eventId = reader.utf8();
        break;
      case 2:
        readPropertyEntry(message.autoProperties, reader, depth);
        break;
      case 3:
        readPropertyEntry(message.customProperties, reader, depth);
        break;
      case 4:
        message.distinctId = reader.utf8();
        break;
      case 5:
        message.kind = reader.utf8();
        break;
      case 6:
        message.occurTime = readTimestamp(message.occurTime, reader, reader.uint32(), depth + 1);
        break;
      case 7:
        message.sessionId = reader.utf8();
        break;
      case 8:
        message.cookieless = reader.bool();
        break;
      default:
        reader.keepUnknown(message, depth);
    }
  }
  return message;
}

/** One entry of a map<string, PropertyValue>: a later entry with the same key replaces an earlier one. */
function readPropertyEntry(map: Record<string, PropertyValue>, reader: EventReader, depth: number): void {
  let key = "";
  let value: PropertyValue | undefined;
  const end = reader.uint32() + reader.pos;
  while (reader.pos < end) {
    const fieldNo = reader.field();
    if (fieldNo === 1) key = reader.utf8();
    // A value given twice within one entry is merged, like any singular message field.
    else if (fieldNo === 2) value = readPropertyValue(value, reader, reader.uint32(), depth + 1);
    // Unlike a message's, a map entry's unknown fields are dropped.
    else reader.skip(reader.wireType, fieldNo, RECURSION_LIMIT - depth);
  }
  value ??= { $typeName: "common.v1.PropertyValue", value: { case: undefined } };
  // A plain assignment to "__proto__" would set the map's prototype instead of adding the key.
  if (key === "__proto__") Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

function readPropertyValue(existing: PropertyValue | undefined, reader: EventReader, length: number, depth: number): PropertyValue {
  const message: PropertyValue = existing ?? { $typeName: "common.v1.PropertyValue", value: { case: undefined } };
  const end = reader.pos + length;
  while (reader.pos < end) {
    switch (reader.field()) {
      case 1:
        message.value = { case: "stringValue", value: reader.utf8() };
        break;
      case 2:
        message.value = { case: "intValue", value: reader.int64() as bigint };
        break;
      case 3:
        message.value = { case: "doubleValue", value: reader.double() };
        break;
      case 4:
        message.value = { case: "boolValue", value: reader.bool() };
        break;
      case 5: {
        const previous = message.value.case === "timestampValue" ? message.value.value : undefined;
        message.value = { case: "timestampValue", value: readTimestamp(previous, reader, reader.uint32(), depth + 1) };
        break;
      }
      default:
        reader.keepUnknown(message, depth);
    }
  }
  return message;
}

function readTimestamp(existing: Timestamp | undefined, reader: EventReader, length: number, depth: number): Timestamp {
  const message: Timestamp = existing ?? { $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: 0 };
  const end = reader.pos + length;
  while (reader.pos < end) {
    const fieldNo = reader.field();
    if (fieldNo === 1) message.seconds = reader.int64() as bigint;
    else if (fieldNo === 2) message.nanos = reader.int32();
    else reader.keepUnknown(message, depth);
  }
  return message;
}
