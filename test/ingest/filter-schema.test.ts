// The filter schema (migration 0005) as the real intake and events worker fill it: event names, property keys
// per source with their value types, and recent values, tallied by the worker for each write of events (0007).
// Profile keys come from mirror rows inserted into `profiles` here (the profile worker writes them), through
// ClickHouse's materialized views.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Event } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { clickhouseTime } from "../../src/domain/ingest/event-row.ts";
import { PROMOTED_COLUMNS } from "../../src/domain/properties/promoted-columns.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { batchBody, sdkEvent, sdkRequest, str } from "../support/sdk-events.ts";

let stack: IngestStack;
beforeAll(async () => {
  stack = await ingestStack("filter_schema", { worker: true, env: { PUG_TRUSTED_PROXIES: "127.0.0.1" } });
});
afterAll(() => stack.stop());

const int = (value: bigint) => ({ value: { case: "intValue" as const, value } });
const bool = (value: boolean) => ({ value: { case: "boolValue" as const, value } });
const time = (ms: number) => ({ value: { case: "timestampValue" as const, value: timestampFromMs(ms) } });

const signup = (plan: string) =>
  sdkEvent(stack.projectId, {
    kind: "signup",
    customProperties: { plan: str(plan), seats: int(3n), long_note: str("x".repeat(257)), short_note: str("y".repeat(256)), empty: str(""), at: time(Date.now()) },
    autoProperties: { ...sdkEvent(stack.projectId).autoProperties, $darkMode: bool(true) },
  });

async function send(events: Event[]): Promise<void> {
  // A UK address (the built-in country database) so $country is set; 127.0.0.1 is a trusted proxy.
  const response = await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(events), { "x-forwarded-for": "81.2.69.160" });
  expect(response.status).toBe(200);
  const ids = events.map((e) => `'${e.eventId}'`).join(",");
  await waitFor(`${events.length} events stored`, async () => (await stack.stored(`event_id IN (${ids})`)).rows === events.length);
  // The worker inserts a write's filter schema right after its events.
  await waitFor("the filter schema of every event stored", async () => {
    const [counted] = await rows<{ named: string; stored: string }>(
      "SELECT (SELECT sum(count) FROM event_names WHERE project_id = {project:UUID}) AS named, (SELECT count() FROM events WHERE project_id = {project:UUID}) AS stored",
    );
    return counted!.named === counted!.stored;
  });
}

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await stack.ch.query({ query, query_params: { project: stack.projectId, ...params }, format: "JSONEachRow" });
  return await result.json<T>();
}

// As a reader must: parts not merged yet hold several rows of one key.
const eventNames = () => rows<{ kind: string; count: string; last_seen: string }>(
  "SELECT kind, sum(count) AS count, max(last_seen) AS last_seen FROM event_names WHERE project_id = {project:UUID} GROUP BY kind ORDER BY kind",
);
const keys = async (source: number) => (await rows<{ key: string; value_type: number; kind: string; count: string }>(
  "SELECT key, value_type, kind, sum(count) AS count FROM property_keys WHERE project_id = {project:UUID} AND source = {source:UInt8} GROUP BY key, value_type, kind ORDER BY key, kind",
  { source },
)).map((r) => [r.key, r.value_type, r.kind, Number(r.count)]);
// GetPropertyValues: the most recent values of the last 30 days, at most 100.
const values = async (source: number, key: string, kind: string) => (await rows<{ value: string; count: string }>(
  `SELECT value, sum(count) AS count FROM property_values
   WHERE project_id = {project:UUID} AND source = {source:UInt8} AND key = {key:String} AND kind = {kind:String}
   GROUP BY value HAVING max(last_seen) >= now() - INTERVAL 30 DAY ORDER BY max(last_seen) DESC, value LIMIT 100`,
  { source, key, kind },
)).map((r) => [r.value, Number(r.count)]);

describe("the filter schema", () => {
  let sentAt = 0;

  test("after a batch: event names with counts and last seen, keys per source with their types, recent values", async () => {
    sentAt = Date.now();
    await send([sdkEvent(stack.projectId), sdkEvent(stack.projectId), sdkEvent(stack.projectId), signup("pro"), signup("pro")]);

    const names = await eventNames();
    expect(names.map((n) => [n.kind, Number(n.count)])).toEqual([["page_view", 3], ["signup", 2]]);
    for (const name of names) {
      const lastSeen = Date.parse(name.last_seen.replace(" ", "T") + "Z");
      expect(lastSeen).toBeGreaterThanOrEqual(sentAt - 5);
      expect(lastSeen).toBeLessThanOrEqual(Date.now());
    }

    expect(await keys(2)).toEqual([
      ["at", 5, "signup", 2],
      ["empty", 1, "signup", 2],
      ["long_note", 1, "signup", 2],
      ["plan", 1, "signup", 2],
      ["seats", 2, "signup", 2],
      ["short_note", 1, "signup", 2],
    ]);
    const auto = await keys(1);
    const pageView = auto.filter(([, , kind]) => kind === "page_view").map(([key, type, , count]) => [key, type, count]);
    // Every promoted column the SDK's page view fills, as its column has it; region and city need a city
    // database, and utm_term/utm_content are not in the URL. Screen sizes are integers although the SDK sends text.
    const unset = ["$region", "$city", "$utmTerm", "$utmContent"];
    const promoted = PROMOTED_COLUMNS.filter((p) => !unset.includes(p.name)).map((p) => [p.name, p.type, 3]);
    expect(pageView).toEqual([...promoted, ["$projectId", 1, 3]].sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)));
    expect(auto).toContainEqual(["$darkMode", 4, "signup", 2]);

    expect(await values(2, "plan", "signup")).toEqual([["pro", 2]]);
    expect(await values(2, "seats", "signup")).toEqual([["3", 2]]);
    expect(await values(2, "short_note", "signup")).toEqual([["y".repeat(256), 2]]);
    // Skipped, not truncated: longer than 256 bytes; and empty values and datetimes.
    expect(await values(2, "long_note", "signup")).toEqual([]);
    expect(await values(2, "empty", "signup")).toEqual([]);
    expect(await values(2, "at", "signup")).toEqual([]);
    expect(await values(1, "$screenWidth", "page_view")).toEqual([["1920", 3]]);
    expect(await values(1, "$browser", "page_view")).toEqual([["Chrome", 3]]);
    expect(await values(1, "$country", "page_view")).toEqual([["GB", 3]]);
    expect(await values(1, "$referrerDomain", "page_view")).toEqual([["google.com", 3]]);
    expect(await values(1, "$darkMode", "signup")).toEqual([["true", 2]]);
  });

  test("a second batch adds to the counts and moves last seen", async () => {
    const before = await eventNames();
    await send([sdkEvent(stack.projectId), signup("free"), signup("pro")]);
    const after = await eventNames();
    expect(after.map((n) => [n.kind, Number(n.count)])).toEqual([["page_view", 4], ["signup", 4]]);
    for (let i = 0; i < after.length; i++) expect(after[i]!.last_seen > before[i]!.last_seen).toBe(true);
    expect(await keys(2)).toContainEqual(["plan", 1, "signup", 4]);
    // Both seen last in this batch (one received_at), so in value order.
    expect(await values(2, "plan", "signup")).toEqual([["free", 1], ["pro", 3]]);
  });

  test("profile mirror rows add profile keys (kind '') with their types and values; deleted rows add nothing", async () => {
    const now = Date.now();
    const profile = (externalId: string, texts: Record<string, string>, types: Record<string, number>, updatedAt: number, isDeleted = 0) => ({
      project_id: stack.projectId,
      external_id: externalId,
      profile_id: crypto.randomUUID(),
      properties: JSON.stringify(texts),
      property_texts: texts,
      property_numbers: {},
      property_types: types,
      created_at: clickhouseTime(updatedAt),
      updated_at: clickhouseTime(updatedAt),
      version: 1,
      is_deleted: isDeleted,
    });
    await stack.ch.insert({
      table: "profiles",
      format: "JSONEachRow",
      values: [
        profile("u1", { email: "a@example.com", age: "42", vip: "true", tags: '["a","b"]', born: "1990-01-01T00:00:00.000Z" }, { age: 2, vip: 4, tags: 6, born: 5 }, now),
        profile("u2", { email: "b@example.com", age: "42" }, { age: 2 }, now),
        profile("u3", { erased: "x" }, {}, now, 1),
        // Written 40 days ago: its key stays known, its values are past their 30 days.
        profile("u4", { old_trait: "stale" }, {}, now - 40 * 86_400_000),
      ],
    });
    expect(await keys(3)).toEqual([
      ["age", 2, "", 2],
      ["born", 5, "", 1],
      ["email", 1, "", 2],
      ["old_trait", 1, "", 1],
      ["tags", 6, "", 1],
      ["vip", 4, "", 1],
    ]);
    expect(await values(3, "email", "")).toEqual([["a@example.com", 1], ["b@example.com", 1]]);
    expect(await values(3, "age", "")).toEqual([["42", 2]]);
    expect(await values(3, "vip", "")).toEqual([["true", 1]]);
    expect(await values(3, "tags", "")).toEqual([]);
    expect(await values(3, "born", "")).toEqual([]);
    expect(await values(3, "old_trait", "")).toEqual([]);
    // Profiles add no event names and no event keys.
    expect((await eventNames()).map((n) => n.kind)).toEqual(["page_view", "signup"]);
  });

  test("a table that keeps refusing a write's filter schema loses only that write's rows of it: the events, the other tables and later writes go on", async () => {
    await stack.ch.command({ query: "ALTER TABLE property_values ADD CONSTRAINT refuse_me CHECK value != 'refuse-me'" });
    try {
      await send([signup("refuse-me"), signup("gold")]);
      const givenUp = "rows derived from the written rows were refused";
      await waitFor("the worker to give up on that write's property values", async () => stack.worker!.output().includes(givenUp));
      const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
      expect(metrics).toMatch(/pug_writer_derived_dropped_rows_total\{table="property_values"\} [1-9]/);
      // event_names of that write went in (send waited for them); property_values of the whole write did not.
      expect(await values(2, "plan", "signup")).toEqual([["free", 1], ["pro", 3]]);
      expect(await keys(2)).toContainEqual(["plan", 1, "signup", 6]);
    } finally {
      await stack.ch.command({ query: "ALTER TABLE property_values DROP CONSTRAINT refuse_me" });
    }
    await send([signup("platinum")]);
    expect(await values(2, "plan", "signup")).toEqual([["platinum", 1], ["free", 1], ["pro", 3]]);
  });
});
