// Every request field of the insights and activity RPCs that reaches SQL, fed SQL-injection payloads, a parameter
// placeholder's text and the other project's id, by project A's key against a real server. Both projects hold
// events, schema rows and profiles under the same names ("plan"); project B's values all carry a marker. Whatever
// the field, the answer is data without B's markers, or invalid_argument; any other error fails the case.

import { type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PropertySource } from "../../src/gen/common/v1/filter_schema_pb.ts";
import { FilterOperator as Op, type PropertyFilterSchema } from "../../src/gen/common/v1/filters_pb.ts";
import { AggregationType as Agg, Granularity, type InsightQuerySpecSchema, InsightType as T, SessionMetric, TopKQuery_Dimension, UserFlowQuery_NodeKind } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { type SeedEvent, seedEvents, seedProfiles, sharedClients, type SharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
let sql: Sql;
let other: CreatedProject;
const HOUR = 3_600_000;
const now = Date.now();
const range = { from: timestampFromMs(now - 7 * 24 * HOUR), to: timestampFromMs(now + 60_000) };
/** Strings (and a number) only project B's data holds. */
const MARKERS = ["MARKER_B", "987654321"];

const PAYLOADS = [
  // Names and values both projects use (B's under a marker): the real data paths.
  "plan",
  "amount",
  "0",
  "'",
  "' OR 1=1 --",
  "') OR 1=1 --",
  "\" OR \"\"=\"",
  "x' UNION ALL SELECT * FROM events --",
  "{project_id:UUID}",
  "{p0:String}",
  "\\",
  "\\' OR 1=1 --",
  "$') OR 1=1 --",
  "%",
  "ünï😀код\u0000\n\t",
  "1; DROP TABLE events",
  "OTHER_PROJECT_ID",
];

type Spec = MessageInitShape<typeof InsightQuerySpecSchema>;
type Filter = MessageInitShape<typeof PropertyFilterSchema>;
type Call = (c: SharedClients, p: string, key: ReturnType<typeof withKey>) => Promise<unknown>;

const eq = (property: string, value: string, source = PropertySource.UNSPECIFIED): Filter => ({ property, operator: Op.EQUALS, value, source });
const filterCases = (prefix: string, wrap: (filters: Filter[]) => Spec): [string, Spec | ((p: string) => Spec)][] => [
  [`${prefix}.property`, (p) => wrap([eq(p, "x")])],
  [`${prefix}.value`, (p) => wrap([eq("plan", p)])],
  [`${prefix}.value (CONTAINS)`, (p) => wrap([{ property: "plan", operator: Op.CONTAINS, value: p }])],
  [`${prefix}.values (IN)`, (p) => wrap([{ property: "plan", operator: Op.IN, values: [p, "plan"] }])],
  [`${prefix}.values (BETWEEN)`, (p) => wrap([{ property: "amount", operator: Op.BETWEEN, values: [p, "10"] }])],
  [`${prefix}.value (GT)`, (p) => wrap([{ property: "amount", operator: Op.GT, value: p }])],
  [`${prefix}.property (PROFILE)`, (p) => wrap([eq(p, "x", PropertySource.PROFILE)])],
  [`${prefix}.value (PROFILE)`, (p) => wrap([eq("plan", p, PropertySource.PROFILE)])],
  [`${prefix}.property ($ auto)`, (p) => wrap([eq(`$${p}`, "x", PropertySource.AUTO)])],
];
const ev = (kind: string, filters: Filter[] = [], aggregation = Agg.TOTAL, aggregationProperty = "") => ({ event: { kind, filters }, aggregation, aggregationProperty });
const trends = (spec: Spec): Spec => ({ ...spec, insightType: T.TRENDS }) as Spec;

/** Every Query field that reaches SQL (the insight type each needs is in the spec). */
const QUERY_CASES: [string, Spec | ((p: string) => Spec)][] = [
  ["events[].event.kind", (p) => trends({ events: [ev(p)] })],
  ...filterCases("events[].event.filters[]", (filters) => trends({ events: [ev("plan", filters)] })),
  ["events[].aggregation_property (SUM)", (p) => trends({ events: [ev("plan", [], Agg.SUM, p)] })],
  ["events[].aggregation_property (UNIQUE_USERS)", (p) => trends({ events: [ev(p, [], Agg.UNIQUE_USERS)] })],
  ["breakdowns[].property", (p) => trends({ events: [ev("plan")], breakdowns: [{ property: p }] })],
  ["breakdowns[].property ($ auto)", (p) => trends({ events: [ev("plan")], breakdowns: [{ property: `$${p}` }] })],
  ...filterCases("filter_groups[].filters[]", (filters) => trends({ events: [ev("plan")], filterGroups: [{ filters }] })),
  ["session.scope.kind", (p) => trends({ session: { metric: SessionMetric.SESSIONS, scope: { kind: p } } })],
  ["session.scope.filters[].value", (p) => trends({ session: { metric: SessionMetric.AVG_DURATION, scope: { filters: [eq("plan", p)] } } })],
  ["session ENTRY breakdowns[].property", (p) => trends({ session: { metric: SessionMetric.ENTRY }, breakdowns: [{ property: p }] })],
  ["SEGMENTATION events[].event.kind", (p) => ({ insightType: T.SEGMENTATION, events: [ev(p)] })],
  ["SEGMENTATION events[].event.filters[].value", (p) => ({ insightType: T.SEGMENTATION, events: [ev("plan", [eq("plan", p)], Agg.AVG, "amount")] })],
  ["FUNNEL events[].event.kind", (p) => ({ insightType: T.FUNNEL, events: [ev("plan"), ev(p)], includeStepTiming: true })],
  ["FUNNEL events[].event.filters[].value", (p) => ({ insightType: T.FUNNEL, events: [ev("plan", [eq("plan", p)]), ev("plan")] })],
  ["FUNNEL breakdowns[].property", (p) => ({ insightType: T.FUNNEL, events: [ev("plan"), ev("plan")], breakdowns: [{ property: p }] })],
  ["RETENTION events[].event.kind", (p) => ({ insightType: T.RETENTION, events: [ev(p), ev("plan")] })],
  ["RETENTION breakdowns[].property", (p) => ({ insightType: T.RETENTION, events: [ev("plan")], breakdowns: [{ property: p }] })],
  ["USER_FLOW user_flow.node_property", (p) => ({ insightType: T.USER_FLOW, userFlow: { nodeKind: UserFlowQuery_NodeKind.PROPERTY, nodeProperty: p } })],
  ["USER_FLOW user_flow.scope.kind", (p) => ({ insightType: T.USER_FLOW, userFlow: { nodeKind: UserFlowQuery_NodeKind.EVENT_KIND, scope: { kind: p } } })],
  ["USER_FLOW user_flow.scope.filters[].value", (p) => ({ insightType: T.USER_FLOW, userFlow: { nodeKind: UserFlowQuery_NodeKind.EVENT_KIND, scope: { filters: [eq("plan", p)] } } })],
  ["TOP_K top_k.property", (p) => ({ insightType: T.TOP_K, topK: { dimension: TopKQuery_Dimension.PROPERTY, property: p } })],
  ["TOP_K top_k.metric_property", (p) => ({ insightType: T.TOP_K, topK: { dimension: TopKQuery_Dimension.EVENT_KIND, metric: Agg.SUM, metricProperty: p } })],
  ["TOP_K top_k.scope.kind (users)", (p) => ({ insightType: T.TOP_K, topK: { dimension: TopKQuery_Dimension.USER, scope: { kind: p } } })],
  ["TOP_K top_k.scope.filters[].value", (p) => ({ insightType: T.TOP_K, topK: { dimension: TopKQuery_Dimension.PROPERTY, property: "plan", scope: { filters: [eq("plan", p)] } } })],
  ["MAP map.scope.kind", (p) => ({ insightType: T.MAP, map: { scope: { kind: p } } })],
  ["MAP map.metric_property", (p) => ({ insightType: T.MAP, map: { metric: Agg.MAX, metricProperty: p } })],
];

const feedFields = (rpc: "getEventExplorer" | "getActivityFeed"): [string, Call][] => {
  const base = rpc === "getActivityFeed" ? { distinctId: "plan" } : {};
  const call = (init: object): Call => (c, _p, key) => c.activity[rpc]({ timeRange: range, ...base, ...init }, key);
  return [
    [`activity.${rpc} distinct_id`, (c, p, key) => call({ distinctId: p })(c, p, key)],
    [`activity.${rpc} session_id`, (c, p, key) => call({ sessionId: p })(c, p, key)],
    [`activity.${rpc} property_filters[].property`, (c, p, key) => call({ propertyFilters: [eq(p, "x")] })(c, p, key)],
    [`activity.${rpc} property_filters[].value`, (c, p, key) => call({ propertyFilters: [eq("plan", p)] })(c, p, key)],
    [`activity.${rpc} property_filters[].value (PROFILE)`, (c, p, key) => call({ propertyFilters: [eq("plan", p, PropertySource.PROFILE)] })(c, p, key)],
    [`activity.${rpc} events[].kind`, (c, p, key) => call({ events: [{ kind: p }] })(c, p, key)],
    [`activity.${rpc} events[].filters[].value`, (c, p, key) => call({ events: [{ kind: "plan", filters: [eq("plan", p)] }] })(c, p, key)],
    [`activity.${rpc} page_token`, (c, p, key) => call({ pageToken: p })(c, p, key)],
  ];
};

const RPC_CASES: [string, Call][] = [
  ...QUERY_CASES.map(([field, spec]): [string, Call] => [`Query ${field}`, (c, p, key) => c.insights.query({ spec: typeof spec === "function" ? spec(p) : spec, timeRange: range, granularity: Granularity.DAY }, key)]),
  ["insights.SegmentUsers events[].event.kind", (c, p, key) => c.insights.segmentUsers({ timeRange: range, events: [ev(p)] }, key)],
  ["insights.SegmentUsers events[].event.filters[].value", (c, p, key) => c.insights.segmentUsers({ timeRange: range, events: [ev("plan", [eq("plan", p)])] }, key)],
  ["insights.SegmentUsers filter_groups[].filters[].property", (c, p, key) => c.insights.segmentUsers({ timeRange: range, events: [ev("plan")], filterGroups: [{ filters: [eq(p, "x", PropertySource.PROFILE)] }] }, key)],
  ["insights.SegmentUsers page_token", (c, p, key) => c.insights.segmentUsers({ timeRange: range, events: [ev("plan")], pageToken: p }, key)],
  ...[PropertySource.AUTO, PropertySource.CUSTOM, PropertySource.PROFILE].flatMap((source): [string, Call][] => [
    [`insights.GetPropertyValues property_key (${PropertySource[source]})`, (c, p, key) => c.insights.getPropertyValues({ propertyKey: p, source }, key)],
    [`activity.GetPropertyValues property_key (${PropertySource[source]})`, (c, p, key) => c.activity.getPropertyValues({ propertyKey: p, source }, key)],
  ]),
  ["insights.GetPropertyValues event_kind", (c, p, key) => c.insights.getPropertyValues({ propertyKey: "plan", source: PropertySource.CUSTOM, eventKind: p }, key)],
  ["activity.GetPropertyValues event_kind", (c, p, key) => c.activity.getPropertyValues({ propertyKey: "plan", source: PropertySource.CUSTOM, eventKind: p }, key)],
  ["insights.GetFilterSchema event_kind", (c, p, key) => c.insights.getFilterSchema({ eventKind: p }, key)],
  ["activity.GetFilterSchema event_kind", (c, p, key) => c.activity.getFilterSchema({ eventKind: p }, key)],
  ...feedFields("getEventExplorer"),
  ...feedFields("getActivityFeed"),
  ["activity.GetActivityHeatmap distinct_id", (c, p, key) => c.activity.getActivityHeatmap({ distinctId: p }, key)],
  ["activity.GetProfileStats distinct_id", (c, p, key) => c.activity.getProfileStats({ distinctId: p }, key)],
];

const at = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
type Row = SeedEvent & Record<string, unknown>;
const own = (distinct_id: string, kind: string, hoursAgo: number): Row => ({
  project_id: stack.projectId, distinct_id, kind, session_id: "plan", occurred_at: new Date(now - hoursAgo * HOUR), pathname: "/own", country: "DE", city: "Own City",
  custom_properties: { plan: "own_plan", amount: "5" }, custom_numbers: { amount: 5 }, custom_types: { amount: 2 },
});
const theirs = (distinct_id: string, kind: string, hoursAgo: number): Row => ({
  project_id: other.projectId, distinct_id, kind, session_id: "plan", occurred_at: new Date(now - hoursAgo * HOUR), pathname: "/MARKER_B_page", country: "NZ", city: "MARKER_B_city",
  custom_properties: { plan: "MARKER_B_plan", amount: "987654321", MARKER_B_key: "MARKER_B_value" }, custom_numbers: { amount: 987654321 }, custom_types: { amount: 2 },
});
const mirror = (project_id: string, external_id: string, profile_id: string, plan: string) => ({
  project_id, external_id, profile_id, properties: JSON.stringify({ plan }), property_texts: { plan }, property_numbers: {}, property_types: {},
  created_at: at(now - 48 * HOUR), updated_at: at(now - 48 * HOUR), version: 1, is_deleted: 0,
});

beforeAll(async () => {
  stack = await ingestStack("insights_security");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  other = await createProject(sql, "other project");
  const [ownPlan] = await seedProfiles(sql, stack.projectId, [{ externalId: "plan", traits: { plan: "own_trait" }, aliases: ["anon-own"] }]);
  const [theirPlan, theirUser] = await seedProfiles(sql, other.projectId, [
    { externalId: "plan", traits: { plan: "MARKER_B_trait" }, aliases: ["anon-own"] },
    { externalId: "MARKER_B_user", traits: { plan: "MARKER_B_trait" } },
  ]);
  await stack.ch.insert({ table: "profiles", format: "JSONEachRow", values: [
    mirror(stack.projectId, "plan", ownPlan!, "own_trait"), mirror(other.projectId, "plan", theirPlan!, "MARKER_B_trait"), mirror(other.projectId, "MARKER_B_user", theirUser!, "MARKER_B_trait"),
  ] });
  await stack.ch.insert({ table: "profile_aliases", format: "JSONEachRow", values: [
    { project_id: stack.projectId, alias_id: "anon-own", external_id: "plan", profile_id: ownPlan!, version: 1, is_deleted: 0 },
    { project_id: other.projectId, alias_id: "anon-own", external_id: "plan", profile_id: theirPlan!, version: 1, is_deleted: 0 },
  ] });
  await seedEvents(stack.ch, [
    own("plan", "plan", 1), own("anon-own", "plan", 2), own("plan", "signup", 26), own("anon-own", "plan", 50),
    theirs("plan", "plan", 1), theirs("anon-own", "plan", 2), theirs("MARKER_B_user", "MARKER_B_kind", 3), theirs("plan", "signup", 26),
  ]);
  const probe = sharedClients(stack.baseUrl, false).activity;
  await waitFor("the other project's key to work", () => probe.getProfileStats({ distinctId: "plan" }, withKey(other.privateKey)).then(() => true, () => false));
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const json = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v));

/** What is wrong with the answer to `call` with `payload`: nothing, if data without B's markers or invalid_argument. */
async function problemsOf(call: Call, payload: string, binary: boolean): Promise<string[]> {
  const sent = payload === "OTHER_PROJECT_ID" ? other.projectId : payload;
  let text: string;
  try {
    text = json(await call(sharedClients(stack.baseUrl, binary), sent, withKey(stack.privateKey)));
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    text = error.rawMessage;
    if (error.code !== Code.InvalidArgument || /unknown insight type/.test(error.rawMessage)) return [`${json(sent)}: ${Code[error.code]} ${error.rawMessage}`];
  }
  const leaked = [...MARKERS, ...(sent === other.projectId ? [] : [other.projectId])].filter((marker) => text.includes(marker));
  return leaked.length > 0 ? [`${json(sent)}: the answer holds ${leaked.join(", ")}: ${text.slice(0, 300)}`] : [];
}

describe("no field reaches another project's data or the SQL text", () => {
  test.each(RPC_CASES)("%s", async (_name, call) => {
    const problems = await Promise.all(PAYLOADS.map((payload, i) => problemsOf(call, payload, i % 2 === 1)));
    expect(problems.flat()).toEqual([]);
  });

  test("the same request by project B sees B's markers: the markers are real, so the checks above can fail; A sees its own", async () => {
    const response = await sharedClients(stack.baseUrl, false).activity.getProfileStats({ distinctId: "plan" }, withKey(other.privateKey));
    expect(response.stats?.city).toBe("MARKER_B_city");
    expect(response.properties).toEqual({ plan: "MARKER_B_trait" });
    const ours = await sharedClients(stack.baseUrl, true).activity.getProfileStats({ distinctId: "plan" }, withKey(stack.privateKey));
    expect([ours.stats?.city, ours.stats?.totalEvents, ours.properties]).toEqual(["Own City", 4n, { plan: "own_trait" }]);
  });
});
