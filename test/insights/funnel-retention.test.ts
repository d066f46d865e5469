// FUNNEL and RETENTION through a stock Connect client (JSON and binary) against a running `pug server`, on a
// small hand-made fixture seeded straight into ClickHouse. Every expected number is computed by hand below.

import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FilterOperator } from "../../src/gen/common/v1/filters_pb.ts";
import { Granularity, InsightType, type QueryResponse } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { seedEvents, type SeedEvent, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
/** A second project reporting in Europe/Berlin, for cohorts across the switch to summer time (2026-03-29). */
let berlin: CreatedProject;

const T = Date.parse("2026-06-01T10:00:00Z");
const S = 1000;
const FUNNEL_RANGE = { from: timestampFromDate(new Date("2026-06-01T00:00:00Z")), to: timestampFromDate(new Date("2026-06-08T00:00:00Z")) };
const STEPS = ["visit", "signup", "purchase"];

beforeAll(async () => {
  stack = await ingestStack("funnel_retention");
  const p = stack.projectId;
  const ev = (distinct_id: string, kind: string, atMs: number, browser = ""): SeedEvent => ({ project_id: p, distinct_id, kind, occurred_at: new Date(atMs), browser });
  const day = (iso: string) => Date.parse(`${iso}Z`);
  await seedEvents(stack.ch, [
    // Funnel visit → signup → purchase on 2026-06-01.
    ev("u1", "visit", T, "Firefox"), ev("u1", "signup", T + 10 * S, "Firefox"), ev("u1", "purchase", T + 40 * S, "Firefox"),
    ev("u2", "visit", T, "Chrome"), ev("u2", "signup", T + 180 * S, "Chrome"), ev("u2", "purchase", T + 7380 * S, "Chrome"),
    ev("u3", "visit", T, "Chrome"), ev("u3", "signup", T + 60 * S, "Chrome"),
    ev("u4", "visit", T, "Chrome"),
    // Out of order: only the visit counts.
    ev("u5", "purchase", T, "Safari"), ev("u5", "signup", T + 60 * S, "Safari"), ev("u5", "visit", T + 120 * S, "Safari"),
    // One person: anonymous visit and signup, purchase after signing in (a later browser: first touch is Firefox).
    ev("anon-m1", "visit", T, "Firefox"), ev("anon-m1", "signup", T + 20 * S, "Firefox"), ev("m1", "purchase", T + 50 * S, "Edge"),
    // Purchase 1 s inside and 1 s outside a 1 h window.
    ev("w1", "visit", T, "Firefox"), ev("w1", "signup", T + 1800 * S, "Firefox"), ev("w1", "purchase", T + 3599 * S, "Firefox"),
    ev("w2", "visit", T, "Firefox"), ev("w2", "signup", T + 1800 * S, "Firefox"), ev("w2", "purchase", T + 3601 * S, "Firefox"),
    // Bots and other kinds do not count.
    { ...ev("bot", "visit", T), is_bot: true } as SeedEvent,
    // Retention in July 2026 (Mondays: 6, 13, 20, 27).
    ev("r1", "buy", day("2026-07-06T09:00:00")), ev("r1", "open", day("2026-07-06T10:00:00")), ev("r1", "open", day("2026-07-14T10:00:00")), ev("r1", "open", day("2026-07-21T10:00:00")),
    ev("r2", "open", day("2026-07-07T10:00:00")), ev("r2", "buy", day("2026-07-07T11:00:00")), ev("r2", "open", day("2026-07-22T10:00:00")),
    ev("r3", "open", day("2026-07-08T10:00:00")), ev("r3", "buy", day("2026-07-15T10:00:00")),
    ev("r4", "open", day("2026-07-15T08:00:00")), ev("r4", "buy", day("2026-07-15T09:00:00")), ev("r4", "open", day("2026-07-20T10:00:00")),
    ev("anon-r5", "open", day("2026-07-09T10:00:00")), ev("r5", "open", day("2026-07-16T10:00:00")),
    ev("r6", "open", day("2026-07-06T10:00:00")), ev("r6", "open", day("2026-07-07T10:00:00")),
    ev("r7", "open", day("2026-07-06T12:00:00")),
  ]);
  const alias = (alias_id: string, external_id: string) => ({ project_id: p, alias_id, external_id, profile_id: crypto.randomUUID(), version: 1, is_deleted: 0 });
  await stack.ch.insert({ table: "profile_aliases", format: "JSONEachRow", values: [alias("anon-m1", "m1"), alias("anon-r5", "r5")] });

  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  berlin = await createProject(sql, "berlin");
  await sql`UPDATE projects SET reporting_timezone = 'Europe/Berlin' WHERE id = ${berlin.projectId}`;
  await sql.end();
  const b = (distinct_id: string, iso: string, browser: string): SeedEvent => ({ project_id: berlin.projectId, distinct_id, kind: "open", occurred_at: new Date(iso), browser });
  await seedEvents(stack.ch, [
    b("b0", "2026-03-27T22:30:00Z", "Firefox"), // 23:30 on the 27th in Berlin: before the range
    b("b1", "2026-03-27T23:30:00Z", "Firefox"), // 00:30 on the 28th
    b("b1", "2026-03-29T22:30:00Z", "Firefox"), // 00:30 on the 30th (summer time)
    b("b2", "2026-03-28T22:30:00Z", "Chrome"), // 23:30 on the 28th
    b("b2", "2026-03-28T23:30:00Z", "Chrome"), // 00:30 on the 29th
    b("b3", "2026-03-29T21:30:00Z", "Chrome"), // 23:30 on the 29th
  ]);
  const probe = sharedClients(stack.baseUrl, false).insights;
  // Without a spec the request is refused after authentication, before the project's settings are read (and cached).
  const authenticated = (e: unknown) => ConnectError.from(e).code === Code.InvalidArgument;
  await waitFor("the Berlin project's key to work", () => probe.query({}, withKey(berlin.privateKey)).then(() => false, authenticated));
});
afterAll(async () => {
  await stack?.stop();
});

const seconds = (d: Duration | undefined) => (d ? Number(d.seconds) + d.nanos / 1e9 : undefined);
const steps = (kinds: string[]) => kinds.map((kind) => ({ event: { kind, filters: [] } }));

describe.each([false, true])("binary %p", (binary) => {
  const query = async (spec: Record<string, unknown>, range = FUNNEL_RANGE, granularity = Granularity.DAY): Promise<QueryResponse["result"]> => {
    const insights = sharedClients(stack.baseUrl, binary).insights;
    return (await insights.query({ spec, timeRange: range, granularity }, withKey(stack.privateKey))).result;
  };
  const funnel = async (spec: Record<string, unknown>, range = FUNNEL_RANGE) => {
    const result = await query({ insightType: InsightType.FUNNEL, events: steps(STEPS), ...spec }, range);
    if (result.case !== "funnel") throw new Error(`not a funnel: ${result.case}`);
    return result.value.series;
  };
  const range = (from: string, to: string) => ({ from: timestampFromDate(new Date(`${from}Z`)), to: timestampFromDate(new Date(`${to}Z`)) });
  const retention = async (events: string[], r: ReturnType<typeof range>, granularity: Granularity) => {
    const result = await query({ insightType: InsightType.RETENTION, events: steps(events) }, r, granularity);
    if (result.case !== "retention") throw new Error(`not retention: ${result.case}`);
    return result.value.series.map((s) => ({
      breakdown: s.breakdown,
      cohorts: s.cohorts.map((c) => ({ cohort: c.cohort, size: c.cohortSize, points: c.points.map((pt) => [timestampDate(pt.time!).toISOString().slice(0, 10), Math.round(pt.value * 100) / 100]) })),
    }));
  };
  const refused = async (spec: Record<string, unknown>, field: string) => {
    const error = await query(spec).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage.startsWith(`${field}:`)).toBe(true);
  };

  test("3-step funnel: drop-off, out-of-order events, a merged person counted once", async () => {
    const [series, ...rest] = await funnel({});
    expect(rest).toHaveLength(0);
    expect(series!.breakdown).toEqual({});
    // visit: u1 u2 u3 u4 u5 m1 w1 w2; signup: all but u4 and u5 (signed up before visiting); purchase: u1 u2 m1 w1 w2.
    expect(series!.steps.map((s) => [s.eventKind, s.total])).toEqual([["visit", 8], ["signup", 6], ["purchase", 5]]);
    expect(series!.steps.every((s) => s.timing === undefined)).toBe(true);
  });

  test("per-step filters", async () => {
    const browser = (value: string) => [{ property: "$browser", operator: FilterOperator.EQUALS, value }];
    const events = [{ event: { kind: "visit", filters: browser("Firefox") } }, { event: { kind: "signup" } }, { event: { kind: "purchase", filters: browser("Edge") } }];
    const [series] = await funnel({ events });
    // Firefox visits: u1, m1 (as anon-m1), w1, w2; all signed up; only m1 purchased on Edge.
    expect(series!.steps.map((s) => [s.eventKind, s.total])).toEqual([["visit", 4], ["signup", 4], ["purchase", 1]]);
  });

  test("conversion window: 1 s inside converts, 1 s outside does not", async () => {
    const [series] = await funnel({ conversionWindow: create(DurationSchema, { seconds: 3600n }) });
    // purchase within 1 h of the visit: u1 (40 s), m1 (50 s), w1 (3599 s); not u2 (7380 s) nor w2 (3601 s).
    expect(series!.steps.map((s) => s.total)).toEqual([8, 6, 3]);
    // The window is inclusive: w1's purchase exactly 3599 s after its visit converts, one second less does not.
    const [edge] = await funnel({ conversionWindow: create(DurationSchema, { seconds: 3599n }) });
    expect(edge!.steps.map((s) => s.total)).toEqual([8, 6, 3]);
    const [short] = await funnel({ conversionWindow: create(DurationSchema, { seconds: 3598n }) });
    expect(short!.steps.map((s) => s.total)).toEqual([8, 6, 2]);
  });

  test("step timing on known deltas", async () => {
    const [series] = await funnel({ includeStepTiming: true });
    expect(series!.steps.map((s) => s.total)).toEqual([8, 6, 5]);
    expect(series!.steps[0]!.timing).toBeUndefined();
    // signup after visit: 10, 20, 60, 180, 1800, 1800 s.
    const signup = series!.steps[1]!.timing!;
    expect([seconds(signup.avg), seconds(signup.median), seconds(signup.p95)]).toEqual([645, 120, 1800]);
    expect(signup.distribution.map((b) => Number(b.count))).toEqual([2, 1, 1, 0, 2, 0, 0, 0]);
    // purchase after signup: 30, 30, 1799, 1801, 7200 s.
    const purchase = series!.steps[2]!.timing!;
    expect([seconds(purchase.avg), seconds(purchase.median), seconds(purchase.p95)]).toEqual([2172, 1799, 7200]);
    expect(purchase.distribution.map((b) => [b.label, seconds(b.upperBound), Number(b.count)])).toEqual([
      ["0-30s", 30, 0], ["30s-2m", 120, 2], ["2-5m", 300, 0], ["5-15m", 900, 0], ["15-60m", 3600, 2], ["1-6h", 21600, 1], ["6-24h", 86400, 0], ["24h+", undefined, 0],
    ]);
  });

  test("breakdown by $browser at limit 1: first touch, the rest in $others", async () => {
    const series = await funnel({ breakdowns: [{ property: "$browser" }], breakdownLimit: 1 });
    // Firefox: u1 m1 w1 w2 (m1's first event was Firefox); $others: Chrome u2 u3 u4 and Safari u5.
    expect(series.map((s) => [s.breakdown, s.steps.map((step) => step.total)])).toEqual([
      [{ $browser: "Firefox" }, [4, 4, 4]],
      [{ $browser: "$others" }, [4, 2, 1]],
    ]);
  });

  test("an empty range: one series of zeros, zero-filled timing", async () => {
    const [series, ...rest] = await funnel({ includeStepTiming: true }, range("2026-08-01T00:00:00", "2026-08-02T00:00:00"));
    expect(rest).toHaveLength(0);
    expect(series!.steps.map((s) => s.total)).toEqual([0, 0, 0]);
    expect(series!.steps[2]!.timing!.distribution.map((b) => Number(b.count))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("weekly retention: cohorts by first open, merged person once, percentages per week", async () => {
    expect(await retention(["open"], range("2026-07-06T00:00:00", "2026-07-27T00:00:00"), Granularity.WEEK)).toEqual([
      {
        breakdown: {},
        cohorts: [
          // r1 r2 r3 r5 r6 r7; back in week 1: r1, r5 (as r5 after signing in); week 2: r1, r2.
          { cohort: "2026-07-06T00:00:00Z", size: 6, points: [["2026-07-06", 100], ["2026-07-13", 33.33], ["2026-07-20", 33.33]] },
          { cohort: "2026-07-13T00:00:00Z", size: 1, points: [["2026-07-13", 100], ["2026-07-20", 100]] },
        ],
      },
    ]);
  });

  test("a return event other than the start event; returns before the first start do not count", async () => {
    expect(await retention(["open", "buy"], range("2026-07-06T00:00:00", "2026-07-27T00:00:00"), Granularity.WEEK)).toEqual([
      {
        breakdown: {},
        cohorts: [
          // Week 0: r2 bought after opening (r1 bought an hour before its first open); week 1: r3.
          { cohort: "2026-07-06T00:00:00Z", size: 6, points: [["2026-07-06", 16.67], ["2026-07-13", 16.67], ["2026-07-20", 0]] },
          { cohort: "2026-07-13T00:00:00Z", size: 1, points: [["2026-07-13", 100], ["2026-07-20", 0]] },
        ],
      },
    ]);
  });

  test("daily retention up to the range's end", async () => {
    expect(await retention(["open"], range("2026-07-06T00:00:00", "2026-07-09T00:00:00"), Granularity.DAY)).toEqual([
      {
        breakdown: {},
        cohorts: [
          { cohort: "2026-07-06T00:00:00Z", size: 3, points: [["2026-07-06", 100], ["2026-07-07", 33.33], ["2026-07-08", 0]] },
          { cohort: "2026-07-07T00:00:00Z", size: 1, points: [["2026-07-07", 100], ["2026-07-08", 0]] },
          { cohort: "2026-07-08T00:00:00Z", size: 1, points: [["2026-07-08", 100]] },
        ],
      },
    ]);
  });

  test("daily cohorts in the reporting time zone across the switch to summer time, by first-touch browser", async () => {
    const insights = sharedClients(stack.baseUrl, binary).insights;
    const timeRange = range("2026-03-27T23:00:00", "2026-03-30T22:00:00"); // the 28th to the 30th in Berlin
    const run = async (spec: Record<string, unknown>) => {
      const { result } = await insights.query({ spec: { insightType: InsightType.RETENTION, events: steps(["open"]), ...spec }, timeRange, granularity: Granularity.DAY }, withKey(berlin.privateKey));
      if (result.case !== "retention") throw new Error(`not retention: ${result.case}`);
      return result.value.series.map((s) => [s.breakdown, s.cohorts.map((c) => [c.cohort, c.cohortSize, c.points.map((pt) => [timestampDate(pt.time!).toISOString(), pt.value])])]);
    };
    const [d28, d29, d30] = ["2026-03-27T23:00:00.000Z", "2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"];
    expect(await run({})).toEqual([
      [{}, [
        ["2026-03-27T23:00:00Z", 2, [[d28, 100], [d29, 50], [d30, 50]]], // b1 b2; b2 back on the 29th, b1 on the 30th
        ["2026-03-28T23:00:00Z", 1, [[d29, 100], [d30, 0]]], // b3
      ]],
    ]);
    expect(await run({ breakdowns: [{ property: "$browser" }], breakdownLimit: 1 })).toEqual([
      [{ $browser: "Chrome" }, [
        ["2026-03-27T23:00:00Z", 1, [[d28, 100], [d29, 100], [d30, 0]]],
        ["2026-03-28T23:00:00Z", 1, [[d29, 100], [d30, 0]]],
      ]],
      [{ $browser: "$others" }, [["2026-03-27T23:00:00Z", 1, [[d28, 100], [d29, 0], [d30, 100]]]]],
    ]);
  });

  test("retention over an empty range: one series without cohorts", async () => {
    expect(await retention(["open"], range("2026-08-01T00:00:00", "2026-08-08T00:00:00"), Granularity.DAY)).toEqual([{ breakdown: {}, cohorts: [] }]);
  });

  test("malformed requests are refused naming the field", async () => {
    await refused({ insightType: InsightType.FUNNEL, events: steps(Array.from({ length: 21 }, (_, i) => `k${i}`)) }, "spec.events");
    await refused({ insightType: InsightType.RETENTION, events: steps(["open", "buy", "open"]) }, "spec.events");
    await refused({ insightType: InsightType.FUNNEL, events: steps(STEPS), conversionWindow: create(DurationSchema, { seconds: 1n, nanos: 500_000_000 }) }, "spec.conversion_window");
    await refused({ insightType: InsightType.FUNNEL, events: steps(STEPS), breakdowns: [{ property: "$browser" }, { property: "$browser" }] }, "spec.breakdowns[1].property");
    await refused({ insightType: InsightType.RETENTION, events: [] }, "spec.events");
  });
});
