// Events shaped the way Pug's web SDK builds them, and the requests it sends.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { BatchCreateRequestSchema, type Event, EventSchema } from "../../src/gen/sdk/events/v1/events_pb.ts";

export const CHROME_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
export const BATCH_CREATE = "/sdk.events.v1.EventsService/BatchCreate";

/** A UUIDv7, as the SDK makes them. */
export function uuidv7(at = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(at);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const str = (value: string) => ({ value: { case: "stringValue" as const, value } });

type EventInit = Omit<MessageInitShape<typeof EventSchema>, "$typeName">;

export function sdkEvent(projectId: string, overrides: EventInit & { url?: string; referrer?: string } = {}): Event {
  const { url = "https://shop.example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring", referrer = "https://www.google.com/", ...rest } = overrides;
  return create(EventSchema, {
    eventId: uuidv7(),
    kind: "page_view",
    distinctId: "anon-0190b6f0-0000-7000-8000-000000000001",
    sessionId: uuidv7(),
    occurTime: timestampFromMs(Date.now()),
    autoProperties: {
      $projectId: str(projectId),
      $platform: str("web"),
      $url: str(url),
      $referrer: str(referrer),
      $locale: str("en-GB"),
      $screenWidth: str("1920"),
      $screenHeight: str("1080"),
      $sdkVersion: str("1.4.0"),
      $pageTitle: str("Pricing"),
    },
    ...rest,
  });
}

export function batchBody(events: Event[]): Uint8Array {
  return toBinary(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events }));
}

/** Exactly what the SDK's fetch sends for BatchCreate. */
export function sdkRequest(baseUrl: string, apiKey: string, body: Uint8Array, extraHeaders: Record<string, string> = {}): Promise<Response> {
  return fetch(baseUrl + BATCH_CREATE, {
    method: "POST",
    headers: { "content-type": "application/proto", "connect-protocol-version": "1", "x-api-key": apiKey, "user-agent": CHROME_UA, ...extraHeaders },
    body,
  });
}

/**
 * Sends `batches` batches of `size` events (or, given `until`, until it says stop), `concurrency` at a time, as
 * the SDK would (retrying what the server asks to be retried). Resolves with the ids of every event accepted.
 */
export function sendLoad(baseUrl: string, apiKey: string, projectId: string, options: { batches: number; size: number; concurrency?: number; pauseMs?: number; until?: () => boolean }): Promise<Set<string>> {
  const accepted = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (options.until ? !options.until() : next < options.batches) {
      next++;
      const events = Array.from({ length: options.size }, () => sdkEvent(projectId));
      const body = batchBody(events);
      // A leader election or a reconnect makes the server answer 503 for some seconds; the SDK keeps retrying.
      const giveUpAt = Date.now() + 60_000;
      for (let attempt = 1; ; attempt++) {
        const response = await sdkRequest(baseUrl, apiKey, body).catch(() => undefined);
        if (response?.status === 200) {
          for (const event of events) accepted.add(event.eventId);
          break;
        }
        if (Date.now() > giveUpAt) throw new Error(`batch refused ${attempt} times in 60 s: ${response?.status} ${await response?.text()}`);
        await Bun.sleep(100);
      }
      if (options.pauseMs) await Bun.sleep(options.pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker)).then(() => accepted);
  // A load usually runs in the background while the test kills things; if it fails before the test awaits it,
  // the failure must reach the test there (and its cleanup must run), not end the run as an unhandled rejection.
  done.catch(() => {});
  return done;
}
