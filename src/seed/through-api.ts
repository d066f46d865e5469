// The end-to-end path: the same traffic as the bulk path (read back from the generating SELECT instead of
// inserted), sent through the real intake as the web SDK would send it: BatchCreate batches with each device's
// user agent, then one identify per signed-in visitor linking their anonymous id. The intake derives browser, OS,
// channel and URL parts itself; geo comes from the caller's address, as in production.

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ClickHouseClient } from "@clickhouse/client";
import type { PropertyValue } from "../gen/common/v1/property_value_pb.ts";
import { type Event, EventSchema } from "../gen/sdk/events/v1/events_pb.ts";
import type { EventRow } from "../domain/ingest/event-row.ts";
import { ValueType } from "../domain/properties/value-types.ts";
import { knownVisitors } from "./seed-people.ts";
import { anonymousId, isKnown, knownVisitorCount, profileTraits, type SeedPlan, userId } from "./seed-plan.ts";
import { sessionChunks } from "./bulk-events.ts";
import { forEachConcurrently, type SdkTarget, sendEvents, sendIdentify } from "./sdk-wire.ts";
import { ORDERED_TRAFFIC_SQL, trafficParams } from "./traffic-sql.ts";

const BATCH = 500;
const CONCURRENCY = 8;

/**
 * A generated row as the API path reads it (JSONEachRow): the event's columns, occurred_at as ClickHouse's
 * DateTime64(3) text in UTC, and the user agent of its device.
 */
export type TrafficRow = Pick<EventRow, "event_id" | "kind" | "distinct_id" | "session_id" | "url" | "referrer" | "page_title" | "locale"
  | "screen_width" | "screen_height" | "platform" | "sdk_version" | "custom_properties" | "custom_types"> & { occurred_at: string; user_agent: string };

/** Sends plan.events events and the identifies of the signed-in visitors among them. */
export async function sendTraffic(ch: ClickHouseClient, target: SdkTarget, plan: SeedPlan, onProgress: (done: number) => void): Promise<{ identified: number }> {
  let done = 0;
  const visitors = new Set<number>();
  for await (const chunk of sessionChunks(ch, plan)) {
    const result = await ch.query({ query: `${ORDERED_TRAFFIC_SQL} LIMIT {limit:UInt64}`, query_params: { ...trafficParams(plan, chunk.first, chunk.sessions), limit: chunk.events }, format: "JSONEachRow" });
    const rows = await result.json<TrafficRow>();
    for (const row of rows) visitors.add(Number(row.distinct_id.slice(row.distinct_id.indexOf("-") + 1)));
    await forEachConcurrently(batchesByDevice(rows), CONCURRENCY, async (batch) => {
      await sendEvents(target, batch.map((row) => sdkEvent(plan.projectId, row)), batch[0]!.user_agent);
      done += batch.length;
      onProgress(done);
    });
  }
  const known = (await knownVisitors(ch, plan, 0, knownVisitorCount(plan))).filter((v) => isKnown(v.visitor) && visitors.has(v.visitor));
  await forEachConcurrently(known, CONCURRENCY, (v) => sendIdentify(target, { externalId: userId(v.visitor), anonymousId: anonymousId(v.visitor), traits: profileTraits(v) }));
  return { identified: known.length };
}

/** Rows grouped by user agent (one request carries one), at most BATCH a request, in their original order. */
export function batchesByDevice<T extends { user_agent: string }>(rows: T[]): T[][] {
  const byAgent = new Map<string, T[]>();
  for (const row of rows) {
    const group = byAgent.get(row.user_agent) ?? [];
    group.push(row);
    byAgent.set(row.user_agent, group);
  }
  const batches: T[][] = [];
  for (const group of byAgent.values()) for (let i = 0; i < group.length; i += BATCH) batches.push(group.slice(i, i + BATCH));
  return batches;
}

export function sdkEvent(projectId: string, row: TrafficRow): Event {
  const text = (value: string) => ({ value: { case: "stringValue" as const, value } });
  const auto: Record<string, { value: { case: "stringValue"; value: string } }> = {
    $projectId: text(projectId),
    $platform: text(row.platform),
    $url: text(row.url),
    $pageTitle: text(row.page_title),
    $locale: text(row.locale),
    $screenWidth: text(String(row.screen_width)),
    $screenHeight: text(String(row.screen_height)),
    $sdkVersion: text(row.sdk_version),
  };
  if (row.referrer) auto.$referrer = text(row.referrer);
  return create(EventSchema, {
    eventId: row.event_id,
    kind: row.kind,
    distinctId: row.distinct_id,
    sessionId: row.session_id,
    occurTime: timestampFromMs(Date.parse(row.occurred_at.replace(" ", "T") + "Z")),
    autoProperties: auto,
    customProperties: Object.fromEntries(Object.entries(row.custom_properties).map(([key, value]) => [key, typedValue(value, row.custom_types[key])])),
  });
}

/** A custom property as the SDK would have sent it: the type the row records for it. */
export function typedValue(value: string, type: number | undefined): Omit<PropertyValue, "$typeName"> {
  if (type === ValueType.INTEGER) return { value: { case: "intValue", value: BigInt(value) } };
  if (type === ValueType.FLOAT) return { value: { case: "doubleValue", value: Number(value) } };
  if (type === ValueType.BOOLEAN) return { value: { case: "boolValue", value: value === "true" } };
  return { value: { case: "stringValue", value } };
}
