// GetFilterSchema and GetPropertyValues of InsightsService and ActivityService (one implementation) through a
// stock Connect client against a running `pug server`: counts, types and order read from the filter schema
// tables that seedEvents backfills as it inserts events (the events worker writes them for its own writes) and the
// materialized views fill as profile mirror rows are inserted.

import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PropertySource, PropertyValueType as VT, type GetFilterSchemaResponse, type PropertyKeyMeta } from "../../src/gen/common/v1/filter_schema_pb.ts";
import { clickhouseTime } from "../../src/domain/ingest/event-row.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { seedEvents, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
let other: CreatedProject;
const NOW = Date.now() - 60_000;
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000);

beforeAll(async () => {
  stack = await ingestStack("filter_schema_api");
  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  other = await createProject(sql, "other").finally(() => sql.end());
  const a = stack.projectId;
  await seedEvents(stack.ch, [
    { project_id: a, distinct_id: "u1", occurred_at: at(5), kind: "page_view", browser: "Firefox", screen_width: 1440, auto_properties: { $lib: "web" }, custom_properties: { plan: "pro", seats: "3" }, custom_types: { seats: 2 } },
    { project_id: a, distinct_id: "u2", occurred_at: at(4), kind: "page_view", browser: "Firefox", auto_properties: { $lib: "web" }, custom_properties: { plan: "pro", seats: "5" }, custom_types: { seats: 2 } },
    { project_id: a, distinct_id: "u3", occurred_at: at(3), kind: "page_view", browser: "Chrome", auto_properties: { $lib: "web" }, custom_properties: { plan: "free" } },
    { project_id: a, distinct_id: "u1", occurred_at: at(2), kind: "signup", custom_properties: { plan: "pro", seats: "many", vip: "true" }, custom_types: { vip: 4 } },
    // Received 40 days ago: its key and kind stay known, its value is no suggestion any more.
    { project_id: a, distinct_id: "u4", occurred_at: at(40 * 24 * 60), kind: "page_view", custom_properties: { plan: "legacy" } },
    { project_id: other.projectId, distinct_id: "x", occurred_at: at(1), kind: "secret", custom_properties: { secret_key: "s3cret", plan: "other" } },
  ]);
  const profile = (projectId: string, texts: Record<string, string>, types: Record<string, number>) => ({
    project_id: projectId, external_id: "u1", profile_id: crypto.randomUUID(), properties: "{}", property_texts: texts, property_numbers: {}, property_types: types,
    created_at: clickhouseTime(NOW), updated_at: clickhouseTime(NOW), version: 1, is_deleted: 0,
  });
  await stack.ch.insert({ table: "profiles", format: "JSONEachRow", values: [profile(a, { email: "a@example.com", age: "42" }, { age: 2 }), profile(other.projectId, { secret_trait: "x" }, {})] });
  const probe = sharedClients(stack.baseUrl, false).insights;
  await waitFor("the other project's key to work", () => probe.getFilterSchema({}, withKey(other.privateKey)).then(() => true, () => false));
});
afterAll(async () => {
  await stack?.stop();
});

const api = () => sharedClients(stack.baseUrl, false);
const keys = (list: PropertyKeyMeta[]) => list.map((k) => [k.name, Number(k.count), VT[k.valueType]]);
const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (e: ConnectError) => `${Code[e.code]}: ${e.rawMessage}`);

/** The same request to both services, which must agree. */
async function schema(request: { eventKind?: string; allowedTypes?: VT[] } = {}, key = stack.privateKey): Promise<GetFilterSchemaResponse> {
  const [insights, activity] = await Promise.all([api().insights.getFilterSchema(request, withKey(key)), api().activity.getFilterSchema(request, withKey(key))]);
  expect(activity).toEqual(insights);
  return insights;
}

async function values(request: { propertyKey: string; source?: PropertySource; eventKind?: string }, key = stack.privateKey): Promise<string[]> {
  const [insights, activity] = await Promise.all([api().insights.getPropertyValues(request, withKey(key)), api().activity.getPropertyValues(request, withKey(key))]);
  expect(activity.values).toEqual(insights.values);
  return insights.values;
}

describe("GetFilterSchema", () => {
  test("every event name and key with its count and main type, most used first, promoted columns as $ keys", async () => {
    const all = await schema();
    expect(all.events.map((e) => [e.name, Number(e.count)])).toEqual([["page_view", 4], ["signup", 1]]);
    expect(timestampDate(all.events[1]!.lastSeenAt!).getTime()).toBe(at(2).getTime());
    expect(keys(all.autoPropertyKeys)).toEqual([["$browser", 3, "STRING"], ["$lib", 3, "STRING"], ["$screenWidth", 1, "INTEGER"]]);
    // seats: twice an integer, once a string.
    expect(keys(all.customPropertyKeys)).toEqual([["plan", 5, "STRING"], ["seats", 3, "INTEGER"], ["vip", 1, "BOOLEAN"]]);
    expect(keys(all.profilePropertyKeys)).toEqual([["age", 1, "INTEGER"], ["email", 1, "STRING"]]);
    expect(timestampDate(all.customPropertyKeys[2]!.lastSeenAt!).getTime()).toBe(at(2).getTime());
  });

  test("event_kind narrows event keys to that kind (profile keys stay); allowed_types keeps keys of those types", async () => {
    const signup = await schema({ eventKind: "signup" });
    expect(signup.events).toHaveLength(2);
    expect([keys(signup.autoPropertyKeys), keys(signup.customPropertyKeys), signup.profilePropertyKeys.length]).toEqual([[], [["plan", 1, "STRING"], ["seats", 1, "STRING"], ["vip", 1, "BOOLEAN"]], 2]);
    const integers = await schema({ allowedTypes: [VT.INTEGER] });
    expect([keys(integers.autoPropertyKeys), keys(integers.customPropertyKeys), keys(integers.profilePropertyKeys)]).toEqual([[["$screenWidth", 1, "INTEGER"]], [["seats", 3, "INTEGER"]], [["age", 1, "INTEGER"]]]);
    expect(keys((await schema({ eventKind: "signup", allowedTypes: [VT.BOOLEAN, VT.INTEGER] })).customPropertyKeys)).toEqual([["vip", 1, "BOOLEAN"]]);
  });

  test("another project's schema is its own; unknown types are invalid_argument", async () => {
    const theirs = await schema({}, other.privateKey);
    expect([theirs.events.map((e) => e.name), theirs.customPropertyKeys.map((k) => k.name), theirs.profilePropertyKeys.map((k) => k.name)]).toEqual([["secret"], ["plan", "secret_key"], ["secret_trait"]]);
    expect(await errorOf(api().insights.getFilterSchema({ allowedTypes: [VT.STRING, 9 as VT] }, withKey(stack.privateKey)))).toStartWith("InvalidArgument: allowed_types[1]:");
    expect(await errorOf(api().activity.getFilterSchema({ allowedTypes: [VT.UNSPECIFIED] }, withKey(stack.privateKey)))).toStartWith("InvalidArgument: allowed_types[0]:");
  });
});

describe("GetPropertyValues", () => {
  test("the most frequent values of the last 30 days, by source and kind", async () => {
    expect(await values({ propertyKey: "plan" })).toEqual(["pro", "free"]);
    expect(await values({ propertyKey: "plan", eventKind: "signup" })).toEqual(["pro"]);
    expect(await values({ propertyKey: "$browser" })).toEqual(["Firefox", "Chrome"]);
    expect(await values({ propertyKey: "$lib", eventKind: "page_view" })).toEqual(["web"]);
    expect(await values({ propertyKey: "seats" })).toEqual(["3", "5", "many"]);
    expect(await values({ propertyKey: "email", source: PropertySource.PROFILE })).toEqual(["a@example.com"]);
    expect(await values({ propertyKey: "plan", source: PropertySource.AUTO })).toEqual([]);
    expect(await values({ propertyKey: "secret_key" })).toEqual([]);
    expect(await values({ propertyKey: "plan" }, other.privateKey)).toEqual(["other"]);
  });

  test.each([["", "property_key"], ["a b", "property_key"], ["a..b", "property_key"], ["$", "property_key"], ["x' OR '1'='1", "property_key"]])("key %p is invalid_argument naming %s", async (propertyKey, field) => {
    expect(await errorOf(api().activity.getPropertyValues({ propertyKey }, withKey(stack.privateKey)))).toStartWith(`InvalidArgument: ${field}:`);
  });

  test("an unknown source is invalid_argument naming source", async () => {
    expect(await errorOf(api().insights.getPropertyValues({ propertyKey: "plan", source: 7 as PropertySource }, withKey(stack.privateKey)))).toStartWith("InvalidArgument: source:");
  });
});
