// USER_FLOW, TOP_K and MAP through a stock Connect client (JSON and binary) against a running `pug server`, on a
// small hand-made fixture whose answers are worked out by hand below.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FilterOperator } from "../../src/gen/common/v1/filters_pb.ts";
import {
  AggregationType,
  Granularity,
  type InsightQuerySpecSchema,
  InsightType,
  QueryRequestSchema,
  TopKQuery_Dimension,
  UserFlowQuery_NodeKind,
} from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { type SeedEvent, seedEvents, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";

let stack: IngestStack;
const NOW = Date.now();
const START = NOW - 2 * 86_400_000;

// Sessions, in time order (page views unless marked). anon-b is an alias of alice: s1 and s2 are one person.
//   s1 alice   /home /pricing (click) /pricing /signup /docs   DE
//   s2 anon-b  /home /pricing /docs                           DE
//   s3 anon-c  /home /docs                                    FR
//   s4 anon-d  /blog /pricing                                 US
//   s5 anon-e  /home
//   s6 anon-f  /about /home /pricing
//   s7 anon-h  /faq /pricing
//   —  anon-g  /home /pricing        (no session: in no flow)
//   s8 alice purchase amount 30; s9 anon-d purchase amount 12.5
// Left out everywhere: a cookieless session and another project's events.
const SESSIONS: [string, string, string[], string?][] = [
  ["s1", "alice", ["/home", "/pricing", "", "/pricing", "/signup", "/docs"], "DE"],
  ["s2", "anon-b", ["/home", "/pricing", "/docs"], "DE"],
  ["s3", "anon-c", ["/home", "/docs"], "FR"],
  ["s4", "anon-d", ["/blog", "/pricing"], "US"],
  ["s5", "anon-e", ["/home"]],
  ["s6", "anon-f", ["/about", "/home", "/pricing"]],
  ["s7", "anon-h", ["/faq", "/pricing"]],
  ["", "anon-g", ["/home", "/pricing"]],
];

function fixture(projectId: string): SeedEvent[] {
  let minute = 0;
  const at = () => new Date(START + minute++ * 60_000);
  const events: SeedEvent[] = SESSIONS.flatMap(([session_id, distinct_id, pages, country]) =>
    pages.map((pathname) => ({ project_id: projectId, distinct_id, session_id, occurred_at: at(), kind: pathname === "" ? "click" : "page_view", pathname, country: country ?? "" })),
  );
  events.push(
    { project_id: projectId, distinct_id: "alice", session_id: "s8", occurred_at: at(), kind: "purchase", custom_numbers: { amount: 30 } },
    { project_id: projectId, distinct_id: "anon-d", session_id: "s9", occurred_at: at(), kind: "purchase", custom_numbers: { amount: 12.5 } },
    { project_id: projectId, distinct_id: "cookieless-x", session_id: "s10", occurred_at: at(), kind: "page_view", pathname: "/home", cookieless: true },
    { project_id: projectId, distinct_id: "cookieless-x", session_id: "s10", occurred_at: at(), kind: "page_view", pathname: "/pricing", cookieless: true },
    { project_id: crypto.randomUUID(), distinct_id: "alice", session_id: "s1", occurred_at: at(), kind: "page_view", pathname: "/elsewhere", country: "DE" },
  );
  return events;
}

/** The ClickHouse profile mirror: alice's newest version wins, anon-f's newest is a deletion. */
async function seedMirror(projectId: string): Promise<void> {
  const profile = (external_id: string, version: number, properties: object, is_deleted = 0) => ({
    project_id: projectId, external_id, profile_id: `0190aaaa-0000-7000-8000-00000000000${external_id === "alice" ? 1 : 2}`,
    properties: JSON.stringify(properties), property_texts: {}, property_numbers: {}, property_types: {},
    created_at: "2026-01-01 00:00:00", updated_at: "2026-01-01 00:00:00", version, is_deleted,
  });
  await stack.ch.insert({
    table: "profiles",
    format: "JSONEachRow",
    values: [profile("alice", 1, { plan: "free" }), profile("alice", 2, { plan: "pro", seats: 3 }), profile("anon-f", 1, { plan: "x" }), profile("anon-f", 2, {}, 1)],
  });
  await stack.ch.insert({
    table: "profile_aliases",
    format: "JSONEachRow",
    values: [{ project_id: projectId, alias_id: "anon-b", external_id: "alice", profile_id: "0190aaaa-0000-7000-8000-000000000001", version: 1, is_deleted: 0 }],
  });
}

beforeAll(async () => {
  stack = await ingestStack("flows_topk");
  await seedEvents(stack.ch, fixture(stack.projectId));
  await seedMirror(stack.projectId);
});
afterAll(async () => {
  await stack?.stop();
});

type Spec = MessageInitShape<typeof InsightQuerySpecSchema>;
const request = (spec: Spec) =>
  create(QueryRequestSchema, { spec, granularity: Granularity.DAY, timeRange: { from: timestampFromMs(NOW - 7 * 86_400_000), to: timestampFromMs(NOW + 60_000) } });
const node = (depth: number, label: string) => ({ id: `${depth}:${label}`, isOthers: label === "$others", depth, label });
const link = (source: string, target: string, value: number) => ({ source, target, value: BigInt(value) });
const row = (dimensionValue: string, value: number, isOthers = false) => ({ dimensionValue, value, isOthers });
const pages = { dimension: TopKQuery_Dimension.PROPERTY, property: "$pathname", scope: { kind: "page_view" } };

describe.each([["JSON", false], ["binary", true]] as const)("%s", (_codec, binary) => {
  const query = async (spec: Spec) => (await sharedClients(stack.baseUrl, binary).insights.query(request(spec), withKey(stack.privateKey))).result;
  const flow = async (userFlow: Spec["userFlow"]) => {
    const result = await query({ insightType: InsightType.USER_FLOW, userFlow });
    expect(result.case).toBe("userFlow");
    const value = result.value as { nodes: object[]; links: object[] };
    return { nodes: value.nodes.map((n) => ({ ...n })), links: value.links.map((l) => ({ ...l })) };
  };
  const topK = async (spec: Spec) => {
    const result = await query(spec);
    expect(result.case).toBe("topK");
    return (result.value as { rows: { dimensionValue: string; value: number; isOthers: boolean; profile?: object }[] }).rows;
  };
  const strip = <T extends object>(items: T[]) => items.map((item) => JSON.parse(JSON.stringify(item, (key, v) => (key === "$typeName" ? undefined : typeof v === "bigint" ? `${v}n` : v))));
  const expectGraph = async (userFlow: Spec["userFlow"], nodes: object[], links: ReturnType<typeof link>[]) => {
    const graph = await flow(userFlow);
    expect(strip(graph.nodes)).toEqual(strip(nodes));
    expect(strip(graph.links)).toEqual(strip(links));
  };

  test("a 3-hop page flow: repeats in a row collapse (no /pricing → /pricing), no-session and cookieless left out", async () => {
    await expectGraph(
      { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "$pathname", maxHops: 3 },
      [node(0, "/home"), node(0, "/about"), node(0, "/blog"), node(0, "/faq"), node(1, "/pricing"), node(1, "/docs"), node(1, "/home"), node(2, "/docs"), node(2, "/pricing"), node(2, "/signup"), node(3, "/docs")],
      [
        link("0:/home", "1:/pricing", 2),
        link("0:/about", "1:/home", 1),
        link("0:/blog", "1:/pricing", 1),
        link("0:/faq", "1:/pricing", 1),
        link("0:/home", "1:/docs", 1),
        link("1:/home", "2:/pricing", 1),
        link("1:/pricing", "2:/docs", 1),
        link("1:/pricing", "2:/signup", 1),
        link("2:/signup", "3:/docs", 1),
      ],
    );
  });

  test("max_nodes 2: the rest of each step is one $others node", async () => {
    // Step 0: /home (3), /about (1, first of the ties) kept; /blog and /faq → $others (2 sessions to /pricing).
    await expectGraph(
      { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "$pathname", maxHops: 3, maxNodes: 2 },
      [node(0, "/home"), node(0, "/about"), node(0, "$others"), node(1, "/pricing"), node(1, "/docs"), node(1, "$others"), node(2, "/docs"), node(2, "/pricing"), node(2, "$others"), node(3, "/docs")],
      [
        link("0:$others", "1:/pricing", 2),
        link("0:/home", "1:/pricing", 2),
        link("0:/about", "1:$others", 1),
        link("0:/home", "1:/docs", 1),
        link("1:$others", "2:/pricing", 1),
        link("1:/pricing", "2:$others", 1),
        link("1:/pricing", "2:/docs", 1),
        link("2:$others", "3:/docs", 1),
      ],
    );
  });

  test("the scope picks the events that become nodes, not the sessions", async () => {
    const scope = { filters: [{ property: "$pathname", operator: FilterOperator.NOT_EQUALS, value: "/pricing" }] };
    await expectGraph(
      { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: "$pathname", scope },
      [node(0, "/home"), node(0, "/about"), node(1, "/docs"), node(1, "/home"), node(1, "/signup"), node(2, "/docs")],
      [link("0:/home", "1:/docs", 2), link("0:/about", "1:/home", 1), link("0:/home", "1:/signup", 1), link("1:/signup", "2:/docs", 1)],
    );
  });

  test("event kinds as nodes, 2 hops", async () => {
    // Only s1 has more than one kind: page_view, click, page_view (its later page views are repeats).
    await expectGraph({ maxHops: 2 }, [node(0, "page_view"), node(1, "click"), node(2, "page_view")], [link("0:page_view", "1:click", 1), link("1:click", "2:page_view", 1)]);
  });

  test("top pages with $others, or without", async () => {
    // 20 page views: /pricing 7, /home 6, the rest 7 (/docs 3, /signup, /blog, /about, /faq).
    expect(strip(await topK({ insightType: InsightType.TOP_K, topK: { ...pages, limit: 2 } }))).toEqual([row("/pricing", 7), row("/home", 6), row("$others", 7, true)]);
    expect(strip(await topK({ insightType: InsightType.TOP_K, topK: { ...pages, limit: 2, omitOthers: true } }))).toEqual([row("/pricing", 7), row("/home", 6)]);
  });

  test("UNIQUE_USERS: alias merged, $others counts each person of the rest once", async () => {
    // /home and /pricing: 5 people each (tie: /home first). The other pages' people: alice, anon-c, anon-d,
    // anon-f, anon-h, anon-g = 6, where adding up per page would give 11.
    const rows = await topK({ insightType: InsightType.TOP_K, topK: { ...pages, metric: AggregationType.UNIQUE_USERS, limit: 1 } });
    expect(strip(rows)).toEqual([row("/home", 5), row("$others", 6, true)]);
  });

  test("top event kinds", async () => {
    expect(strip(await topK({ insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.EVENT_KIND } }))).toEqual([row("page_view", 20), row("purchase", 2), row("click", 1)]);
  });

  test("top users: the alias counts as alice, who carries her newest profile; a deleted profile shows none", async () => {
    // alice 6 + 3 (anon-b) + 1; anon-d 3 and anon-f 3 (tie by id); the rest: anon-c 2, anon-e 1, anon-h 2, anon-g 2.
    const rows = await topK({ insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.USER, limit: 3 } });
    expect(strip(rows)).toEqual([
      { ...row("alice", 10), profile: { id: "0190aaaa-0000-7000-8000-000000000001", externalId: "alice", properties: { plan: "pro", seats: 3 } } },
      row("anon-d", 3),
      row("anon-f", 3),
      row("$others", 7, true),
    ]);
  });

  test("top users by SUM of a custom number", async () => {
    const rows = await topK({ insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.USER, metric: AggregationType.SUM, metricProperty: "amount" } });
    expect(rows.map((r) => [r.dimensionValue, r.value, r.isOthers, r.profile !== undefined])).toEqual([["alice", 30, false, true], ["anon-d", 12.5, false, false]]);
  });

  test("map by country: events without one left out, people counted once", async () => {
    expect(strip(await topK({ insightType: InsightType.MAP, map: {} }))).toEqual([row("DE", 9), row("FR", 2), row("US", 2)]);
    expect(strip(await topK({ insightType: InsightType.MAP, map: { metric: AggregationType.UNIQUE_USERS } }))).toEqual([row("DE", 1), row("FR", 1), row("US", 1)]);
  });

  test.each([
    ["a user flow with events", { insightType: InsightType.USER_FLOW, userFlow: {}, events: [{ event: { kind: "page_view" } }] }, "spec.events"],
    ["max_hops 11", { insightType: InsightType.USER_FLOW, userFlow: { maxHops: 11 } }, "spec.user_flow.max_hops"],
    ["SUM without metric_property", { insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.EVENT_KIND, metric: AggregationType.SUM } }, "spec.top_k.metric_property"],
    ["limit 101", { insightType: InsightType.TOP_K, topK: { dimension: TopKQuery_Dimension.EVENT_KIND, limit: 101 } }, "spec.top_k.limit"],
  ] as [string, Spec, string][])("refused: %s", async (_name, spec, field) => {
    const error = await query(spec).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toStartWith(`${field}:`);
  });
});
