// TRENDS, SEGMENTATION and session metrics through a stock Connect client (JSON and binary) against a running
// `pug server`, on a small hand-made fixture in a project reporting in Europe/Berlin, around the switch to summer
// time on 2026-03-29 (01:00 UTC: 02:00 CET → 03:00 CEST). Berlin days: Mar 27 starts 26T23:00Z, Mar 28 27T23:00Z,
// Mar 29 28T23:00Z (23 hours), Mar 30 29T22:00Z, Mar 31 30T22:00Z. anon-a1 is linked to alice.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FilterOperator, LogicalOperator } from "../../src/gen/common/v1/filters_pb.ts";
import { AggregationType, Granularity, InsightQuerySpecSchema, InsightType, QueryRequestSchema, type QueryResponse, SessionMetric } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { PropertySource } from "../../src/gen/common/v1/filter_schema_pb.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { type SeedEvent, seedEvents, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";

let stack: IngestStack;
const z = (iso: string) => new Date(`2026-03-${iso}Z`);
const BERLIN_DAY = { 27: "2026-03-26T23:00:00.000Z", 28: "2026-03-27T23:00:00.000Z", 29: "2026-03-28T23:00:00.000Z", 30: "2026-03-29T22:00:00.000Z" };

type Row = SeedEvent & { pathname?: string; custom_properties?: Record<string, string>; custom_numbers?: Record<string, number>; custom_types?: Record<string, number> };

beforeAll(async () => {
  stack = await ingestStack("insights_trends");
  const project_id = stack.projectId;
  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  await sql`UPDATE projects SET reporting_timezone = 'Europe/Berlin' WHERE id = ${project_id}`.finally(() => sql.end());
  const view = (distinct_id: string, at: string, pathname: string, country: string, session_id: string): Row => ({ project_id, kind: "page_view", distinct_id, occurred_at: z(at), pathname, country, session_id });
  const purchase = (distinct_id: string, at: string, country: string, session_id: string, amount?: number): Row => ({
    project_id, kind: "purchase", distinct_id, occurred_at: z(at), country, session_id,
    ...(amount === undefined ? {} : { custom_properties: { amount: String(amount) }, custom_numbers: { amount }, custom_types: { amount: 3 } }),
  });
  const rows: Row[] = [
    view("alice", "27T10:00:00", "/home", "DE", "s1"),
    view("anon-a1", "27T10:05:00", "/pricing", "DE", "s1"),
    view("bob", "27T12:00:00", "/home", "FR", "s2"),
    view("bob", "28T08:00:00", "/home", "FR", "s2"), // s2 started on Mar 27
    view("dave", "28T15:00:00", "/pricing", "FR", "s8"),
    view("carol", "28T22:30:00", "/docs", "US", "s3"), // Mar 28 23:30 CET
    view("carol", "28T23:30:00", "/home", "GB", "s3"), // Mar 29 00:30 CET
    view("bob", "29T21:30:00", "/pricing", "FR", "s5"), // Mar 29 23:30 CEST
    view("bob", "29T22:10:00", "/home", "FR", "s5"), // Mar 30 00:10 CEST
    view("dave", "29T22:30:00", "/blog", "FR", "s4"),
    { ...view("cookieless-x", "27T11:00:00", "/home", "DE", ""), cookieless: true },
    { ...view("bot", "27T11:00:00", "/home", "DE", "sb"), is_bot: true } as Row,
    purchase("alice", "27T10:10:00", "DE", "s1", 30),
    purchase("anon-a1", "28T09:00:00", "DE", "s6", 7.5),
    purchase("carol", "28T12:00:00", "US", ""),
    purchase("bob", "29T21:40:00", "FR", "s5", 12.5),
    ...["29T00:30:00", "29T01:30:00", "29T02:10:00"].map((at): Row => ({ project_id, kind: "tick", distinct_id: "anon-t", occurred_at: z(at) })),
  ];
  await seedEvents(stack.ch, rows);
  await stack.ch.insert({
    table: "profile_aliases",
    format: "JSONEachRow",
    values: [{ project_id, alias_id: "anon-a1", external_id: "alice", profile_id: crypto.randomUUID(), version: 1, is_deleted: 0 }],
  });
});
afterAll(async () => {
  await stack?.stop();
});

type Spec = MessageInitShape<typeof InsightQuerySpecSchema>;
type SpecInit = Omit<Exclude<Spec, { $typeName: string }>, "insightType">;
const WINDOW = { from: z("26T23:00:00"), to: z("30T22:00:00") };

function request(spec: Spec, granularity = Granularity.DAY, range = WINDOW) {
  return create(QueryRequestSchema, { spec: create(InsightQuerySpecSchema, spec), granularity, timeRange: { from: timestampFromDate(range.from), to: timestampFromDate(range.to) } });
}

/** Series as `{kind, breakdown, points: {iso: value}}`, easy to compare. */
function series(response: QueryResponse) {
  if (response.result.case !== "trends") throw new Error(`not trends: ${response.result.case}`);
  return response.result.value.series.map((s) => ({
    kind: s.eventKind,
    breakdown: s.breakdown,
    points: Object.fromEntries(s.points.map((p) => [timestampDate(p.time!).toISOString(), p.value])),
  }));
}
const days = (values: Partial<Record<keyof typeof BERLIN_DAY, number>>) => Object.fromEntries(Object.entries(values).map(([day, value]) => [BERLIN_DAY[Number(day) as keyof typeof BERLIN_DAY], value]));
const total = (response: QueryResponse) => (response.result.case === "segmentation" ? response.result.value.total : Number.NaN);
const pageViews = { event: { kind: "page_view" } };
const purchases = (aggregation = AggregationType.TOTAL, aggregationProperty = "") => ({ event: { kind: "purchase" }, aggregation, aggregationProperty });

describe.each([["JSON", false], ["binary", true]] as const)("insights over %s", (_codec, binary) => {
  const query = (spec: Spec, granularity?: Granularity, range?: typeof WINDOW) => sharedClients(stack.baseUrl, binary).insights.query(request(spec, granularity, range), withKey(stack.privateKey));
  const trends = async (spec: SpecInit, granularity?: Granularity, range?: typeof WINDOW) => series(await query({ insightType: InsightType.TRENDS, ...spec }, granularity, range));
  const segmentation = async (spec: SpecInit) => total(await query({ insightType: InsightType.SEGMENTATION, ...spec }));

  test("TOTAL per Berlin day: events either side of local midnight land on their local days; cookieless only when asked; bots never", async () => {
    expect(await trends({ events: [pageViews] })).toEqual([{ kind: "page_view", breakdown: {}, points: days({ 27: 3, 28: 3, 29: 2, 30: 2 }) }]);
    expect((await trends({ events: [pageViews], includeCookieless: true }))[0]!.points).toEqual(days({ 27: 4, 28: 3, 29: 2, 30: 2 }));
  });

  test("UNIQUE_USERS counts anon-a1 as alice; PER_USER_AVG divides by persons", async () => {
    expect((await trends({ events: [{ ...pageViews, aggregation: AggregationType.UNIQUE_USERS }] }))[0]!.points).toEqual(days({ 27: 2, 28: 3, 29: 2, 30: 2 }));
    expect((await trends({ events: [{ ...pageViews, aggregation: AggregationType.PER_USER_AVG }] }))[0]!.points).toEqual(days({ 27: 1.5, 28: 1, 29: 1, 30: 1 }));
    expect(await segmentation({ events: [purchases(AggregationType.UNIQUE_USERS)] })).toBe(3);
  });

  test("a breakdown keeps the top 2 of 4 pathnames and folds the rest into $others", async () => {
    expect(await trends({ events: [pageViews], breakdowns: [{ property: "$pathname" }], breakdownLimit: 2 })).toEqual([
      { kind: "page_view", breakdown: { $pathname: "/home" }, points: days({ 27: 2, 28: 1, 29: 1, 30: 1 }) },
      { kind: "page_view", breakdown: { $pathname: "/pricing" }, points: days({ 27: 1, 28: 1, 29: 1 }) },
      { kind: "page_view", breakdown: { $pathname: "$others" }, points: days({ 28: 1, 30: 1 }) },
    ]);
  });

  test("UNIQUE_USERS in $others counts carol once though she is in two folded countries", async () => {
    const month = "2026-02-28T23:00:00.000Z";
    expect(await trends({ events: [{ ...pageViews, aggregation: AggregationType.UNIQUE_USERS }], breakdowns: [{ property: "$country" }], breakdownLimit: 1 }, Granularity.MONTH)).toEqual([
      { kind: "page_view", breakdown: { $country: "FR" }, points: { [month]: 2 } },
      { kind: "page_view", breakdown: { $country: "$others" }, points: { [month]: 2 } },
    ]);
  });

  test("SUM and AVG of a custom number read only events that have it", async () => {
    expect((await trends({ events: [purchases(AggregationType.SUM, "amount")] }))[0]!.points).toEqual(days({ 27: 30, 28: 7.5, 29: 12.5 }));
    expect(await segmentation({ events: [purchases(AggregationType.AVG, "amount")] })).toBeCloseTo(50 / 3, 10);
    expect(await segmentation({ events: [purchases(AggregationType.MAX, "amount")] })).toBe(30);
    expect(await segmentation({ events: [purchases()] })).toBe(4);
    const inGermany = { property: "$country", operator: FilterOperator.EQUALS, value: "DE" };
    expect(await segmentation({ events: [{ ...purchases(AggregationType.SUM, "amount"), event: { kind: "purchase", filters: [inGermany] } }] })).toBe(37.5);
  });

  test("two event queries make two series, in request order", async () => {
    const both = await trends({ events: [purchases(), { event: { kind: "tick" } }] });
    expect(both.map((s) => [s.kind, Object.values(s.points).reduce((sum, value) => sum + value, 0)])).toEqual([["purchase", 4], ["tick", 3]]);
  });

  test("hourly buckets across the switch to summer time are consecutive instants", async () => {
    const hours = await trends({ events: [{ event: { kind: "tick" } }] }, Granularity.HOUR, { from: z("29T00:00:00"), to: z("29T03:00:00") });
    expect(hours).toEqual([{ kind: "tick", breakdown: {}, points: { "2026-03-29T00:00:00.000Z": 1, "2026-03-29T01:00:00.000Z": 1, "2026-03-29T02:00:00.000Z": 1 } }]);
  });

  test("an empty range has no series, and a total of 0", async () => {
    const empty = { from: z("01T00:00:00"), to: z("02T00:00:00") };
    expect(await trends({ events: [pageViews] }, Granularity.DAY, empty)).toEqual([]);
    expect(total(await query({ insightType: InsightType.SEGMENTATION, events: [pageViews] }, Granularity.DAY, empty))).toBe(0);
  });

  test("filter groups: a CUSTOM number GT and an AUTO $country EQUALS, AND within a group, OR across groups", async () => {
    const amountOver10 = { property: "amount", operator: FilterOperator.GT, value: "10", source: PropertySource.CUSTOM };
    const inGermany = { property: "$country", operator: FilterOperator.EQUALS, value: "DE", source: PropertySource.AUTO };
    expect(await segmentation({ events: [purchases()], filterGroups: [{ filters: [amountOver10, inGermany], operator: LogicalOperator.AND }] })).toBe(1);
    expect(await segmentation({ events: [purchases()], filterGroups: [{ filters: [amountOver10] }, { filters: [inGermany] }], filterGroupsOperator: LogicalOperator.OR })).toBe(3);
  });

  test("session metrics: sessions by start, never clipped, scoped to page views", async () => {
    // Mar 28–29 Berlin: s8 (1 view), s3 (2 views, 1 h) and s5 (2 views, 40 min, the last after the window);
    // s2 started on Mar 27 and s4 after the window.
    const range = { from: z("27T23:00:00"), to: z("29T22:00:00") };
    const session = (metric: SessionMetric) => ({ metric, scope: { kind: "page_view" } });
    const scalar = async (metric: SessionMetric) => total(await query({ insightType: InsightType.SEGMENTATION, session: session(metric) }, Granularity.DAY, range));
    expect(await scalar(SessionMetric.SESSIONS)).toBe(3);
    expect(await scalar(SessionMetric.AVG_DURATION)).toBe(2000);
    expect(await scalar(SessionMetric.BOUNCE_RATE)).toBeCloseTo(100 / 3, 10);
    expect(await scalar(SessionMetric.AVG_EVENTS_PER_SESSION)).toBeCloseTo(5 / 3, 10);
    expect(await trends({ session: session(SessionMetric.SESSIONS) }, Granularity.DAY, range)).toEqual([{ kind: "page_view", breakdown: {}, points: days({ 28: 2, 29: 1 }) }]);
    expect(await trends({ session: session(SessionMetric.ENTRY), breakdowns: [{ property: "$pathname" }] }, Granularity.DAY, range)).toEqual([
      { kind: "page_view", breakdown: { $pathname: "/pricing" }, points: days({ 28: 1, 29: 1 }) },
      { kind: "page_view", breakdown: { $pathname: "/docs" }, points: days({ 28: 1 }) },
    ]);
  });

  test.each([
    ["granularity missing", { insightType: InsightType.TRENDS, events: [pageViews] }, Granularity.UNSPECIFIED, "granularity"],
    ["4 days at MINUTE", { insightType: InsightType.TRENDS, events: [pageViews] }, Granularity.MINUTE, "time_range"],
    ["SUM without a property", { insightType: InsightType.TRENDS, events: [purchases(AggregationType.SUM)] }, Granularity.DAY, "spec.events[0].aggregation_property"],
    ["6 breakdowns", { insightType: InsightType.TRENDS, events: [pageViews], breakdowns: ["a", "b", "c", "d", "e", "f"].map((property) => ({ property })) }, Granularity.DAY, "spec.breakdowns"],
    ["ENTRY without a breakdown", { insightType: InsightType.TRENDS, session: { metric: SessionMetric.ENTRY } }, Granularity.DAY, "spec.breakdowns"],
  ] as const)("%s is invalid_argument naming the field", async (_name, spec, granularity, field) => {
    const error = await query(spec as Spec, granularity).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(Code[(error as ConnectError).code]).toBe("InvalidArgument");
    expect((error as ConnectError).rawMessage.startsWith(`${field}:`)).toBe(true);
  });
});
