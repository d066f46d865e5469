// ActivityService.GetEventExplorer / GetActivityFeed and InsightsService.SegmentUsers through a stock Connect
// client (JSON and binary) against a running `pug server`: cursor pages over events with ties on the same
// millisecond, event and property filters, the feed and the segment following aliases, typed properties, and
// another project's data never showing.

import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FilterOperator as Op } from "../../src/gen/common/v1/filters_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetEventExplorerRequestSchema } from "../../src/gen/shared/activity/v1/activity_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { seedEvents, seedProfiles, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
let sql: Sql;
let people: CreatedProject;
const MINUTE = 60_000;
const T = Date.now() - 60 * MINUTE;
/** Pairs of the 250 explorer events share a millisecond: the event id breaks the tie. */
const explorerAt = (i: number) => new Date(T - Math.floor(i / 2) * 1000);

beforeAll(async () => {
  stack = await ingestStack("activity_feeds");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  people = await createProject(sql, "people");
  const p = people.projectId;
  const [aliceId] = await seedProfiles(sql, p, [{ externalId: "alice", aliases: ["anon-1"] }, { externalId: "bob" }]);
  await stack.ch.insert({ table: "profile_aliases", format: "JSONEachRow", values: [{ project_id: p, alias_id: "anon-1", external_id: "alice", profile_id: aliceId, version: 1, is_deleted: 0 }] });
  await seedEvents(stack.ch, [
    ...Array.from({ length: 250 }, (_, i) => ({
      project_id: stack.projectId,
      distinct_id: `v${i % 10}`,
      occurred_at: explorerAt(i),
      kind: i % 3 === 0 ? "signup" : "page_view",
      custom_properties: { plan: i % 2 === 0 ? "pro" : "free" },
    })),
    // Bots never show.
    { project_id: stack.projectId, distinct_id: "bot", occurred_at: new Date(T), is_bot: true },
    { project_id: p, distinct_id: "alice", occurred_at: new Date(T - 3 * MINUTE), kind: "signup", session_id: "s1", browser: "Firefox", screen_width: 1440, country: "DE",
      auto_properties: { $lib: "web", $latitude: "52.5", $referrer: "https://self.test/" }, auto_types: { $latitude: 3 },
      custom_properties: { plan: "pro", seats: "3", vip: "true", price: "9.5", code: "007" }, custom_types: { seats: 2, vip: 4, price: 3 }, custom_numbers: { seats: 3, price: 9.5 } },
    { project_id: p, distinct_id: "anon-1", occurred_at: new Date(T - 2 * MINUTE), kind: "page_view", session_id: "s0" },
    { project_id: p, distinct_id: "alice", occurred_at: new Date(T - MINUTE), kind: "page_view", session_id: "s1" },
    { project_id: p, distinct_id: "bob", occurred_at: new Date(T - MINUTE), kind: "page_view" },
    { project_id: p, distinct_id: "carol", occurred_at: new Date(T - 10 * MINUTE), kind: "signup" },
    { project_id: p, distinct_id: "cookieless-x", occurred_at: new Date(T - MINUTE), kind: "page_view", cookieless: true },
    // Outside the segment's range.
    { project_id: p, distinct_id: "dave", occurred_at: new Date(T - 100 * MINUTE), kind: "page_view" },
  ]);
  const probe = sharedClients(stack.baseUrl, false).activity;
  await waitFor("the people project's key to work", () => probe.getEventExplorer({}, withKey(people.privateKey)).then(() => true, () => false));
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

type ExplorerInit = MessageInitShape<typeof GetEventExplorerRequestSchema>;
const api = (binary = false) => sharedClients(stack.baseUrl, binary);
const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (e: ConnectError) => `${Code[e.code]}: ${e.rawMessage}`);

async function explore(request: ExplorerInit, binary = false, key = stack.privateKey) {
  const pages: { ids: string[]; next: string }[] = [];
  let pageToken = "";
  do {
    const page = await api(binary).activity.getEventExplorer({ ...request, pageToken }, withKey(key));
    pages.push({ ids: page.events.map((e) => e.eventId), next: page.nextPageToken });
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return pages;
}

async function expectedOrder(where = "1"): Promise<string[]> {
  const rows = await stack.ch.query({
    query: `SELECT toString(event_id) AS id FROM events WHERE project_id = {p:UUID} AND NOT is_bot AND ${where} ORDER BY occurred_at DESC, event_id DESC`,
    query_params: { p: stack.projectId },
    format: "JSONEachRow",
  });
  return (await rows.json<{ id: string }>()).map((r) => r.id);
}

describe("GetEventExplorer", () => {
  test.each([["JSON", false], ["binary", true]] as const)("250 events page as 100/100/50 in %s, newest first, ties by event id, no gaps", async (_, binary) => {
    const pages = await explore({ pageSize: 100 }, binary);
    expect(pages.map((p) => p.ids.length)).toEqual([100, 100, 50]);
    expect(pages.map((p) => p.next !== "")).toEqual([true, true, false]);
    expect(pages.flatMap((p) => p.ids)).toEqual(await expectedOrder());
  });

  test("an event kind list matches any kind; property filters must all hold; the page size defaults to 100", async () => {
    const signups = await explore({ events: [{ kind: "signup" }] });
    expect(signups.map((p) => p.ids.length)).toEqual([84]);
    expect(signups[0]!.ids).toEqual(await expectedOrder("kind = 'signup'"));
    expect((await explore({ events: [{ kind: "signup" }, { kind: "page_view" }] })).flatMap((p) => p.ids)).toHaveLength(250);
    const proSignups = await explore({ events: [{ kind: "signup" }], propertyFilters: [{ property: "plan", operator: Op.EQUALS, value: "pro" }] });
    // i % 6 === 0 for i < 250.
    expect(proSignups.flatMap((p) => p.ids)).toEqual(await expectedOrder("kind = 'signup' AND custom_properties['plan'] = 'pro'"));
    expect(proSignups.flatMap((p) => p.ids)).toHaveLength(42);
    const window = { from: timestampFromMs(explorerAt(9).getTime()), to: timestampFromMs(explorerAt(0).getTime() + 1) };
    expect((await explore({ timeRange: window })).flatMap((p) => p.ids)).toHaveLength(10);
  });

  test("properties keep their types; promoted columns are $ auto properties, the column winning over the map", async () => {
    for (const binary of [false, true]) {
      const page = await api(binary).activity.getEventExplorer({ distinctId: "alice", events: [{ kind: "signup" }] }, withKey(people.privateKey));
      expect(page.events).toHaveLength(1);
      const event = page.events[0]!;
      expect([event.kind, event.distinctId, event.sessionId, timestampDate(event.occurTime!).getTime()]).toEqual(["signup", "alice", "s1", T - 3 * MINUTE]);
      expect(event.autoProperties).toEqual({ $lib: "web", $latitude: 52.5, $browser: "Firefox", $screenWidth: 1440, $country: "DE" });
      expect(event.customProperties).toEqual({ plan: "pro", seats: 3, vip: true, price: 9.5, code: "007" });
    }
  });

  test("the explorer takes a distinct id as given and shows cookieless events; another project's key sees only its own", async () => {
    expect((await explore({ distinctId: "anon-1" }, false, people.privateKey)).flatMap((p) => p.ids)).toHaveLength(1);
    expect((await explore({}, false, people.privateKey)).flatMap((p) => p.ids)).toHaveLength(7);
    expect((await explore({ distinctId: "v1" }, false, people.privateKey)).flatMap((p) => p.ids)).toEqual([]);
  });

  test.each([
    ["a made-up page token", { pageToken: "garbage!" }, "page_token"],
    ["a token with SQL for an id", { pageToken: Buffer.from(JSON.stringify(["e", 1, "1' OR 1=1"])).toString("base64url") }, "page_token"],
    ["page size 1001", { pageSize: 1001 }, "page_size"],
    ["a negative page size", { pageSize: -1 }, "page_size"],
    ["a reversed range", { timeRange: { from: timestampFromMs(T), to: timestampFromMs(T - 1) } }, "time_range"],
    ["GT with a word", { propertyFilters: [{ property: "plan", operator: Op.GT, value: "x" }] }, "property_filters[0].value"],
    ["a kind too long", { events: [{ kind: "a" }, { kind: "x".repeat(201) }] }, "events[1].kind"],
  ] as [string, ExplorerInit, string][])("%s is invalid_argument naming %s", async (_, request, field) => {
    expect(await errorOf(api().activity.getEventExplorer(request, withKey(stack.privateKey)))).toStartWith(`InvalidArgument: ${field}:`);
  });
});

describe("GetActivityFeed", () => {
  test.each(["alice", "anon-1"])("the feed of %s is alice's with her alias, newest first", async (distinctId) => {
    for (const binary of [false, true]) {
      const page = await api(binary).activity.getActivityFeed({ distinctId }, withKey(people.privateKey));
      expect(page.events.map((e) => [e.distinctId, e.kind])).toEqual([["alice", "page_view"], ["anon-1", "page_view"], ["alice", "signup"]]);
      expect(page.nextPageToken).toBe("");
    }
  });

  test("session, page size and cursor apply; other projects' people are not there; distinct_id is required", async () => {
    const key = withKey(people.privateKey);
    expect((await api().activity.getActivityFeed({ distinctId: "alice", sessionId: "s1" }, key)).events.map((e) => e.kind)).toEqual(["page_view", "signup"]);
    const first = await api().activity.getActivityFeed({ distinctId: "alice", pageSize: 2 }, key);
    const rest = await api().activity.getActivityFeed({ distinctId: "alice", pageSize: 2, pageToken: first.nextPageToken }, key);
    expect([first.events.length, rest.events.map((e) => e.distinctId), rest.nextPageToken]).toEqual([2, ["alice"], ""]);
    expect((await api().activity.getActivityFeed({ distinctId: "alice" }, withKey(stack.privateKey))).events).toEqual([]);
    expect(await errorOf(api().activity.getActivityFeed({}, key))).toStartWith("InvalidArgument: distinct_id:");
  });
});

describe("SegmentUsers", () => {
  const range = () => ({ from: timestampFromMs(T - 30 * MINUTE), to: timestampFromMs(T) });

  test("people who did any of the events, aliases resolved, cookieless left out, in pages", async () => {
    const key = withKey(people.privateKey);
    for (const binary of [false, true]) {
      const all = await api(binary).insights.segmentUsers({ timeRange: range() }, key);
      expect([all.distinctIds, all.nextPageToken]).toEqual([["alice", "bob", "carol"], ""]);
    }
    const signups = await api().insights.segmentUsers({ timeRange: range(), events: [{ event: { kind: "signup" } }] }, key);
    expect(signups.distinctIds).toEqual(["alice", "carol"]);
    // anon-1's page view counts as alice's.
    const sessionZero = await api().insights.segmentUsers({ timeRange: range(), events: [{ event: { kind: "page_view" } }], filterGroups: [{ filters: [{ property: "$browser", operator: Op.IS_NOT_SET }] }] }, key);
    expect(sessionZero.distinctIds).toEqual(["alice", "bob"]);
    const first = await api().insights.segmentUsers({ timeRange: range(), pageSize: 2 }, key);
    const second = await api().insights.segmentUsers({ timeRange: range(), pageSize: 2, pageToken: first.nextPageToken }, key);
    expect([first.distinctIds, second.distinctIds, second.nextPageToken]).toEqual([["alice", "bob"], ["carol"], ""]);
  });

  test("another project's people never show; bad input names the field", async () => {
    const page = await api().insights.segmentUsers({ timeRange: { from: timestampFromMs(T - 3_600_000), to: timestampFromMs(T + 1) }, pageSize: 1000 }, withKey(stack.privateKey));
    expect(page.distinctIds).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    const key = withKey(people.privateKey);
    expect(await errorOf(api().insights.segmentUsers({}, key))).toStartWith("InvalidArgument: time_range:");
    expect(await errorOf(api().insights.segmentUsers({ timeRange: range(), pageSize: 1001 }, key))).toStartWith("InvalidArgument: page_size:");
    expect(await errorOf(api().insights.segmentUsers({ timeRange: range(), pageToken: "x" }, key))).toStartWith("InvalidArgument: page_token:");
    expect(await errorOf(api().insights.segmentUsers({ timeRange: range(), events: [{ event: { kind: "k", filters: [{ property: "", operator: Op.EQUALS }] } }] }, key))).toStartWith("InvalidArgument: events[0].event.filters[0].property:");
  });
});
