// Dashboards through the dashboard's own transport (Connect JSON, a signed-in person's token and x-project-id)
// against a running `pug server`: building a dashboard with Upsert, rendering it over hand-counted events, sharing
// it by link (answered without credentials, only while shared), and the not_found of other projects' ids.
// Events (project in UTC): page_view 2026-04-01 ×3, 04-02 ×1, and one an hour ago; purchase 04-01 ×1, 04-02 ×2.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import { TimeRangePreset } from "../../src/gen/common/v1/time_pb.ts";
import { type Dashboard, type DashboardTileInputSchema, DashboardsService, DashboardTileViewMode, type RenderedDashboard, ThresholdRule_Operator, ThresholdRule_Tone } from "../../src/gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { SharedDashboardsService } from "../../src/gen/public/dashboards/v1/dashboards_pb.ts";
import { Granularity, InsightType, type QueryResponse } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { seedEvents } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { refusal } from "../support/dashboard-people.ts";
import { TEST_JWT_SECRET } from "../support/scratch.ts";

let stack: IngestStack;
let sql: Sql;
let other: CreatedProject;
let headers: Record<string, string>;
let otherHeaders: Record<string, string>;

const transport = () => createConnectTransport({ baseUrl: stack.baseUrl });
const dashboards = () => createClient(DashboardsService, transport());
const shared = () => createClient(SharedDashboardsService, transport());
const APRIL = { from: timestampFromDate(new Date("2026-04-01T00:00:00Z")), to: timestampFromDate(new Date("2026-04-03T00:00:00Z")) };

beforeAll(async () => {
  stack = await ingestStack("api_dashboards");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  other = await createProject(sql, "other project");
  const [customer] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES ('dash@example.com') RETURNING id`;
  const [org] = await sql<{ org_id: string }[]>`SELECT org_id FROM projects WHERE id = ${stack.projectId}`;
  await sql`INSERT INTO org_members (org_id, customer_id, role) VALUES (${org!.org_id}, ${customer!.id}, 'member')`;
  const token = await signAccessToken(TEST_JWT_SECRET, customer!.id);
  headers = { authorization: `Bearer ${token}`, "x-project-id": stack.projectId };
  otherHeaders = { ...headers, "x-project-id": other.projectId };
  const event = (kind: string, distinct_id: string, at: Date) => ({ project_id: stack.projectId, kind, distinct_id, occurred_at: at });
  const april = (day: string) => new Date(`2026-04-${day}Z`);
  await seedEvents(stack.ch, [
    event("page_view", "alice", april("01T10:00:00")),
    event("page_view", "bob", april("01T11:00:00")),
    event("page_view", "alice", april("01T12:00:00")),
    event("page_view", "carol", april("02T09:00:00")),
    event("page_view", "dave", new Date(Date.now() - 3_600_000)),
    event("purchase", "alice", april("01T10:30:00")),
    event("purchase", "bob", april("02T10:00:00")),
    event("purchase", "carol", april("02T11:00:00")),
  ]);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

type TileInput = MessageInitShape<typeof DashboardTileInputSchema>;
const pageViewTrend: TileInput = {
  displayName: "Page views",
  content: { case: "insight", value: { spec: { insightType: InsightType.TRENDS, events: [{ event: { kind: "page_view" } }] } } },
  viewMode: DashboardTileViewMode.LINE,
  position: { x: 0, y: 0, w: 36, h: 8 },
};
const notes: TileInput = { displayName: "Notes", content: { case: "markdown", value: { body: "# Read me" } }, position: { x: 36, y: 0, w: 36, h: 8 } };
const purchaseTotal: TileInput = {
  displayName: "Purchases",
  content: { case: "insight", value: { spec: { insightType: InsightType.SEGMENTATION, events: [{ event: { kind: "purchase" } }] } } },
  viewMode: DashboardTileViewMode.KPI,
  thresholds: [{ operator: ThresholdRule_Operator.GT, value: 2, tone: ThresholdRule_Tone.GOOD }],
  position: { x: 0, y: 8, w: 24, h: 6 },
};

/** Each tile as `name → series points {iso: value} | segmentation total | error | "markdown"`. */
function outcomes(rendered: RenderedDashboard | undefined): Record<string, unknown> {
  return Object.fromEntries(rendered!.tiles.map((rendered) => [rendered.tile!.displayName, outcome(rendered.outcome)]));
}
function outcome(value: RenderedDashboard["tiles"][number]["outcome"]): unknown {
  if (value.case === "errorMessage") return `error: ${value.value}`;
  if (value.case === undefined) return "markdown";
  const result: QueryResponse["result"] = value.value.result;
  if (result.case === "segmentation") return result.value.total;
  if (result.case === "trends") return result.value.series.map((s) => Object.fromEntries(s.points.map((p) => [timestampDate(p.time!).toISOString(), p.value])));
  return result.case;
}

const tileCount = async (dashboardId: string) => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM dashboard_tiles WHERE dashboard_id = ${dashboardId}`)[0]!.n;

/** A dashboard as (tile id, name, create time) rows. */
const tileRows = (dashboard: Dashboard | undefined) => dashboard!.tiles.map((tile): [string, string, number] => [tile.id, tile.displayName, timestampMs(tile.createTime!)]);

describe("a dashboard's life", () => {
  let dashboard: Dashboard;
  let shareId: string;

  test("create, then upsert three tiles: get and list show them in order, enums by name in JSON", async () => {
    const created = (await dashboards().create({ displayName: "Sales", description: "weekly", defaultTimeRange: TimeRangePreset.LAST_7_DAYS, defaultGranularity: Granularity.DAY }, { headers })).dashboard!;
    expect([created.displayName, created.description, created.projectId, created.tiles, created.shareId]).toEqual(["Sales", "weekly", stack.projectId, [], ""]);
    dashboard = (await dashboards().upsert({ id: created.id, tiles: [pageViewTrend, notes, purchaseTotal] }, { headers })).dashboard!;
    expect(dashboard.tiles.map((tile) => [tile.displayName, tile.dashboardId, tile.content.case])).toEqual([
      ["Page views", created.id, "insight"],
      ["Notes", created.id, "markdown"],
      ["Purchases", created.id, "insight"],
    ]);
    expect(dashboard.displayName).toBe("Sales");
    expect((await dashboards().get({ id: created.id }, { headers })).dashboard).toEqual(dashboard);
    expect((await dashboards().list({}, { headers })).dashboards).toEqual([dashboard]);

    const raw = await fetch(`${stack.baseUrl}/dashboard.dashboards.v1.DashboardsService/Get`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ id: created.id }) });
    const json = (await raw.json()) as { dashboard: Record<string, unknown> & { tiles: Record<string, unknown>[] } };
    expect([json.dashboard.defaultTimeRange, json.dashboard.defaultGranularity]).toEqual(["TIME_RANGE_PRESET_LAST_7_DAYS", "GRANULARITY_DAY"]);
    expect(json.dashboard.tiles[0]).toMatchObject({ viewMode: "DASHBOARD_TILE_VIEW_MODE_LINE", insight: { spec: { insightType: "INSIGHT_TYPE_TRENDS", events: [{ event: { kind: "page_view" } }] } } });
    expect(json.dashboard.tiles[2]).toMatchObject({ viewMode: "DASHBOARD_TILE_VIEW_MODE_KPI", thresholds: [{ operator: "OPERATOR_GT", value: 2, tone: "TONE_GOOD" }], position: { y: 8, w: 24, h: 6 } }); // x = 0: omitted, as protobuf JSON omits zeros
  });

  test("upsert without the markdown tile and with the purchase tile renamed: one gone, create times kept", async () => {
    const [trend, , purchase] = dashboard.tiles;
    const before = tileRows(dashboard);
    const after = (await dashboards().upsert({ id: dashboard.id, description: "daily", tiles: [{ ...purchaseTotal, id: purchase!.id, displayName: "Orders" }, { ...pageViewTrend, id: trend!.id }] }, { headers })).dashboard!;
    expect(tileRows(after)).toEqual([[before[2]![0], "Orders", before[2]![2]], before[0]!]);
    expect(timestampMs(after.tiles[0]!.updateTime!)).toBeGreaterThan(timestampMs(purchase!.updateTime!));
    expect([after.displayName, after.description]).toEqual(["Sales", "daily"]);
    expect(await tileCount(dashboard.id)).toBe(2);
    dashboard = after;
  });

  test("an unknown tile id is not_found naming it, and nothing changes; a tile that cannot run is refused by field", async () => {
    const stranger = crypto.randomUUID();
    const tiles = dashboard.tiles.map((tile) => ({ ...(tile.displayName === "Orders" ? purchaseTotal : pageViewTrend), id: tile.id }));
    expect(await refusal(dashboards().upsert({ id: dashboard.id, displayName: "Renamed", tiles: [...tiles, { ...notes, id: stranger }] }, { headers }))).toBe(`NotFound: tile ${stranger} not found on this dashboard`);
    const bad = { ...pageViewTrend, content: { case: "insight" as const, value: { spec: { insightType: InsightType.TRENDS, events: [{ event: { kind: "x" }, aggregation: 4 }] } } } };
    expect(await refusal(dashboards().upsert({ id: dashboard.id, tiles: [notes, bad] }, { headers }))).toStartWith("InvalidArgument: tiles[1].insight.spec.events[0].aggregation_property:");
    expect(await refusal(dashboards().upsert({ id: dashboard.id, tiles: [{ ...notes, content: { case: undefined } }] }, { headers }))).toBe("InvalidArgument: tiles[0].content: exactly one of insight or markdown");
    expect((await dashboards().get({ id: dashboard.id }, { headers })).dashboard).toEqual(dashboard);
  });

  test("QueryDashboard answers the hand-counted numbers; a stored tile whose spec cannot run carries its error", async () => {
    await sql`INSERT INTO dashboard_tiles (dashboard_id, ordinal, body) VALUES (${dashboard.id}, 9, ${sql.json({ displayName: "Broken", insight: { spec: { insightType: "INSIGHT_TYPE_TRENDS", events: [{ event: { kind: "purchase" }, aggregation: "AGGREGATION_TYPE_SUM" }] } } })})`;
    const rendered = (await dashboards().queryDashboard({ dashboardId: dashboard.id, timeRange: APRIL, granularity: Granularity.DAY }, { headers })).dashboard!;
    const result = outcomes(rendered);
    expect(result).toMatchObject({
      Orders: 3,
      "Page views": [{ "2026-04-01T00:00:00.000Z": 3, "2026-04-02T00:00:00.000Z": 1 }],
    });
    expect(result.Broken).toStartWith("error: spec.events[0].aggregation_property:");
    expect([rendered.id, rendered.displayName, rendered.defaultTimeRange, rendered.tiles.map((tile) => tile.tile!.displayName)]).toEqual([dashboard.id, "Sales", TimeRangePreset.LAST_7_DAYS, ["Orders", "Page views", "Broken"]]);

    // No range: the dashboard's preset (last 7 days) ending now, by its default granularity (DAY).
    const recent = outcomes((await dashboards().queryDashboard({ dashboardId: dashboard.id }, { headers })).dashboard);
    expect([recent.Orders, (recent["Page views"] as Record<string, number>[]).flatMap(Object.values)]).toEqual([0, [1]]);
    expect(await refusal(dashboards().queryDashboard({ dashboardId: dashboard.id, timeRange: APRIL, granularity: Granularity.MINUTE }, { headers }))).toBe(
      "InvalidArgument: time_range: at most 6 hours with MINUTE granularity; use a coarser granularity or a shorter range",
    );
  });

  test("shared by link: answered without credentials, the same as QueryDashboard; unshared: not_found", async () => {
    const updated = (await dashboards().update({ id: dashboard.id, isPublic: true }, { headers })).dashboard!;
    shareId = updated.shareId;
    expect(shareId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect([updated.displayName, updated.description]).toEqual(["Sales", "daily"]);
    expect(timestampMs(updated.updateTime!)).toBeGreaterThan(timestampMs(dashboard.updateTime!));
    expect((await dashboards().update({ id: dashboard.id, displayName: "Sales (EU)" }, { headers })).dashboard!.shareId).toBe(shareId);
    const own = (await dashboards().queryDashboard({ dashboardId: dashboard.id, timeRange: APRIL, granularity: Granularity.DAY }, { headers })).dashboard;
    const viaLink = (await shared().query({ shareId, timeRange: APRIL, granularity: Granularity.DAY })).dashboard;
    expect(viaLink).toEqual(own);
    expect(outcomes(viaLink).Orders).toBe(3);

    await dashboards().update({ id: dashboard.id, isPublic: false }, { headers });
    expect(await refusal(shared().query({ shareId, timeRange: APRIL, granularity: Granularity.DAY }))).toBe("NotFound: no shared dashboard with this link (it may have been unshared)");
    const again = (await dashboards().update({ id: dashboard.id, isPublic: true }, { headers })).dashboard!.shareId;
    expect(again).not.toBe(shareId);
    expect(await refusal(shared().query({ shareId: "made-up" }))).toStartWith("NotFound:");
    await sql`UPDATE projects SET deleted_at = now() WHERE id = ${stack.projectId}`;
    try {
      expect(await refusal(shared().query({ shareId: again }))).toStartWith("NotFound:");
    } finally {
      await sql`UPDATE projects SET deleted_at = NULL WHERE id = ${stack.projectId}`;
    }
  });

  test("bad header fields are refused by name", async () => {
    expect(await refusal(dashboards().create({ displayName: "" }, { headers }))).toBe("InvalidArgument: display_name: required");
    expect(await refusal(dashboards().update({ id: dashboard.id, defaultTimeRange: 42 as TimeRangePreset }, { headers }))).toBe("InvalidArgument: default_time_range: unknown time range preset 42");
    expect(await refusal(dashboards().update({ id: dashboard.id, description: "x".repeat(2001) }, { headers }))).toBe("InvalidArgument: description: at most 2000 characters");
  });

  test("a default granularity too fine for the default range: refused set together; set apart, a render picks a coarser one", async () => {
    expect(await refusal(dashboards().create({ displayName: "Quarter", defaultTimeRange: TimeRangePreset.LAST_90_DAYS, defaultGranularity: Granularity.HOUR }, { headers }))).toBe(
      "InvalidArgument: default_granularity: HOUR cannot span the default time range LAST_90_DAYS; choose a coarser granularity",
    );
    const quarter = (await dashboards().create({ displayName: "Quarter", defaultGranularity: Granularity.HOUR }, { headers })).dashboard!;
    await dashboards().upsert({ id: quarter.id, defaultTimeRange: TimeRangePreset.LAST_90_DAYS, tiles: [pageViewTrend] }, { headers });
    const rendered = (await dashboards().queryDashboard({ dashboardId: quarter.id }, { headers })).dashboard!;
    const [tile] = rendered.tiles;
    expect(tile!.outcome.case).toBe("result");
    // Daily points: the one event of an hour ago falls on a midnight, not on an hour.
    const points = tile!.outcome.case === "result" && tile!.outcome.value.result.case === "trends" ? tile!.outcome.value.result.value.series.flatMap((s) => s.points) : [];
    expect(points.map((p) => new Date(timestampMs(p.time!)).toISOString().slice(11))).toEqual(["00:00:00.000Z"]);
    await dashboards().delete({ id: quarter.id }, { headers });
  });

  test("a shared link answers a range as long as its granularity allows, whatever its milliseconds", async () => {
    const board = (await dashboards().create({ displayName: "Live" }, { headers })).dashboard!;
    await dashboards().upsert({ id: board.id, tiles: [pageViewTrend] }, { headers });
    const shareId = (await dashboards().update({ id: board.id, isPublic: true }, { headers })).dashboard!.shareId;
    const to = Math.floor(Date.now() / 60_000) * 60_000 - 60_000 + 30_123;
    const sixHours = { from: timestampFromDate(new Date(to - 6 * 3_600_000)), to: timestampFromDate(new Date(to)) };
    const rendered = (await shared().query({ shareId, timeRange: sixHours, granularity: Granularity.MINUTE })).dashboard!;
    expect(rendered.tiles[0]!.outcome.case).toBe("result");
    await dashboards().delete({ id: board.id }, { headers });
  });

  test("a shared link starts at most 100 tile queries a second per address", async () => {
    const many = (await dashboards().create({ displayName: "Wall" }, { headers })).dashboard!;
    const tiles = Array.from({ length: 60 }, (_, i) => ({ ...pageViewTrend, displayName: `t${i}`, position: { x: 0, y: i * 8, w: 72, h: 8 } }));
    const shareId = (await dashboards().upsert({ id: many.id, tiles }, { headers }).then(() => dashboards().update({ id: many.id, isPublic: true }, { headers }))).dashboard!.shareId;
    // Two renders of 60 tiles inside one second: 120 tile queries, over the limit. Retried at a second's start so
    // both fall in one window.
    for (let attempt = 0; ; attempt++) {
      await Bun.sleep(1000 - (Date.now() % 1000) + 5);
      const first = refusal(shared().query({ shareId, timeRange: APRIL, granularity: Granularity.DAY }));
      const second = refusal(shared().query({ shareId, timeRange: APRIL, granularity: Granularity.DAY }));
      const outcomes = (await Promise.all([first, second])).sort();
      if (outcomes[0] !== "ok" && attempt < 3) continue;
      expect(outcomes).toEqual(["ResourceExhausted: too many shared-dashboard tile queries from your address (limit 100 per second); retry after 1 s", "ok"]);
      break;
    }
    await dashboards().delete({ id: many.id }, { headers });
  });

  test("another project's dashboard id is not_found from this project, as is a made-up one; delete removes", async () => {
    const theirs = (await dashboards().create({ displayName: "Theirs" }, { headers: otherHeaders })).dashboard!;
    for (const id of [theirs.id, crypto.randomUUID(), "not-a-uuid"]) {
      const notFound = `NotFound: no dashboard with id ${id} in this project`;
      expect(await refusal(dashboards().get({ id }, { headers }))).toBe(notFound);
      expect(await refusal(dashboards().update({ id, displayName: "mine now" }, { headers }))).toBe(notFound);
      expect(await refusal(dashboards().upsert({ id, tiles: [] }, { headers }))).toBe(notFound);
      expect(await refusal(dashboards().queryDashboard({ dashboardId: id }, { headers }))).toBe(notFound);
      expect(await refusal(dashboards().delete({ id }, { headers }))).toBe(notFound);
    }
    expect((await dashboards().get({ id: theirs.id }, { headers: otherHeaders })).dashboard!.displayName).toBe("Theirs");
    expect((await dashboards().list({}, { headers })).dashboards.map((d) => d.id)).toEqual([dashboard.id]);
    await dashboards().delete({ id: dashboard.id }, { headers });
    expect(await refusal(dashboards().get({ id: dashboard.id }, { headers }))).toStartWith("NotFound:");
    expect(await tileCount(dashboard.id)).toBe(0);
  });
});
