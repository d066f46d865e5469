// Calls sent exactly as the SDK sends them (binary Connect, the project's public key in x-api-key), retried while
// the server asks for it (503: queue full, leader election) the way the SDK keeps retrying.

import { create, toBinary } from "@bufbuild/protobuf";
import { IdentifyRequestSchema } from "../gen/sdk/profiles/v1/profiles_pb.ts";
import { BatchCreateRequestSchema, type Event } from "../gen/sdk/events/v1/events_pb.ts";

export const BATCH_CREATE_PATH = "/sdk.events.v1.EventsService/BatchCreate";
export const IDENTIFY_PATH = "/sdk.profiles.v1.ProfilesSDKService/Identify";

export interface SdkTarget {
  baseUrl: string;
  apiKey: string;
}

export interface IdentifyCall {
  externalId: string;
  anonymousId?: string;
  traits: Record<string, string | number | boolean>;
}

/** POSTs one SDK call; resolves with the 200 answer's body, throws on any other final answer. */
export async function postSdk(target: SdkTarget, path: string, body: Uint8Array, userAgent?: string, attempts = 50): Promise<Uint8Array> {
  const headers: Record<string, string> = { "content-type": "application/proto", "connect-protocol-version": "1", "x-api-key": target.apiKey };
  if (userAgent) headers["user-agent"] = userAgent;
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(target.baseUrl + path, { method: "POST", headers, body });
    if (response.status === 200) return new Uint8Array(await response.arrayBuffer());
    const text = await response.text();
    if (response.status !== 503 || attempt >= attempts) throw new Error(`${path} answered ${response.status}: ${text}`);
    await Bun.sleep(200);
  }
}

export async function sendEvents(target: SdkTarget, events: Event[], userAgent: string): Promise<void> {
  await postSdk(target, BATCH_CREATE_PATH, toBinary(BatchCreateRequestSchema, create(BatchCreateRequestSchema, { events })), userAgent);
}

export async function sendIdentify(target: SdkTarget, call: IdentifyCall): Promise<void> {
  const request = create(IdentifyRequestSchema, { externalId: call.externalId, anonymousId: call.anonymousId ?? "", traits: call.traits });
  await postSdk(target, IDENTIFY_PATH, toBinary(IdentifyRequestSchema, request), undefined, 20);
}

/** Runs `work` over `items` with `concurrency` calls in flight. */
export async function forEachConcurrently<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  }));
}
