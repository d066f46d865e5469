import { create, fromJson } from "@bufbuild/protobuf";
import { describe, expect, test } from "bun:test";
import { DashboardTileInputSchema, DashboardTileSchema, DashboardTileViewMode, ThresholdRule_Operator, ThresholdRule_Tone } from "../../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { AggregationType, InsightType } from "../../gen/shared/insights/v1/insights_pb.ts";
import { refusalOf } from "../field-refusal.ts";
import { checkTiles, MAX_MARKDOWN_CHARS } from "./dashboard-tiles.ts";

// Loosely typed on purpose: some cases send enum numbers the generated types would not allow.
type Input = Record<string, unknown>;
const note = (extra: Input = {}): Input => ({ content: { case: "markdown", value: { body: "hello" } }, position: { x: 0, y: 0, w: 24, h: 8 }, ...extra });
const trends = { insightType: InsightType.TRENDS, events: [{ event: { kind: "page_view" } }] };
const insight = (spec: object, extra: Input = {}): Input => ({ content: { case: "insight", value: { spec } }, ...extra });
const check = (...inputs: Input[]) => checkTiles(inputs.map((input) => create(DashboardTileInputSchema, input as never)));

describe("dashboard tiles", () => {
  test("the body is the tile's protobuf JSON (enum names), which reads back to the same tile", () => {
    const [stored] = check(insight(trends, { id: "", displayName: "Views", viewMode: DashboardTileViewMode.BAR_STACKED, thresholds: [{ operator: ThresholdRule_Operator.GT, value: 10, tone: ThresholdRule_Tone.GOOD }], position: { x: 48, y: 2, w: 24, h: 6 } }));
    expect(stored!.id).toBe("");
    expect(stored!.body).toEqual({
      displayName: "Views",
      insight: { spec: { insightType: "INSIGHT_TYPE_TRENDS", events: [{ event: { kind: "page_view" } }] } },
      viewMode: "DASHBOARD_TILE_VIEW_MODE_BAR_STACKED",
      thresholds: [{ operator: "OPERATOR_GT", value: 10, tone: "TONE_GOOD" }],
      position: { x: 48, y: 2, w: 24, h: 6 },
    });
    const back = fromJson(DashboardTileSchema, stored!.body);
    expect(back.content.case === "insight" && back.content.value.spec?.events[0]?.event?.kind).toBe("page_view");
    expect(back.viewMode).toBe(DashboardTileViewMode.BAR_STACKED);
  });

  test("exactly one of insight or markdown; markdown up to 20,000 characters", () => {
    expect(refusalOf(() => check(note(), { position: { x: 0, y: 0, w: 1, h: 1 } }))).toBe("tiles[1].content: exactly one of insight or markdown");
    expect(check(note({ content: { case: "markdown", value: { body: "x".repeat(MAX_MARKDOWN_CHARS) } } }))).toHaveLength(1);
    expect(refusalOf(() => check(note({ content: { case: "markdown", value: { body: "x".repeat(MAX_MARKDOWN_CHARS + 1) } } })))).toBe("tiles[0].markdown.body: at most 20000 characters");
  });

  test("an insight spec is checked as Query checks it, the field named from the tile", () => {
    expect(refusalOf(() => check(note(), insight({})))).toBe("tiles[1].insight.spec.insight_type: required");
    expect(refusalOf(() => check(insight({ ...trends, events: [{ event: { kind: "buy" }, aggregation: AggregationType.SUM }] })))).toStartWith("tiles[0].insight.spec.events[0].aggregation_property:");
    expect(refusalOf(() => check({ content: { case: "insight", value: {} } }))).toBe("tiles[0].insight.spec: required");
  });

  test("positions on the 72-column grid", () => {
    const at = (position: { x: number; y: number; w: number; h: number }) => () => check(note({ position }));
    expect(refusalOf(at({ x: -1, y: 0, w: 1, h: 1 }))).toBe("tiles[0].position.x: at least 0");
    expect(refusalOf(at({ x: 0, y: -3, w: 1, h: 1 }))).toBe("tiles[0].position.y: at least 0");
    expect(refusalOf(at({ x: 0, y: 0, w: 0, h: 1 }))).toBe("tiles[0].position.w: 1 to 72");
    expect(refusalOf(at({ x: 0, y: 0, w: 1, h: 73 }))).toBe("tiles[0].position.h: 1 to 72");
    expect(refusalOf(at({ x: 50, y: 0, w: 23, h: 1 }))).toBe("tiles[0].position.x: x + w at most 72 (the grid's columns)");
    expect(at({ x: 49, y: 1000, w: 23, h: 72 })()).toHaveLength(1);
  });

  test("at most 100 tiles and 20 thresholds; unknown enum numbers and repeated ids refused", () => {
    expect(refusalOf(() => check(...Array.from({ length: 101 }, () => note())))).toBe("tiles: at most 100 tiles");
    expect(check(...Array.from({ length: 100 }, () => note()))).toHaveLength(100);
    const rule = { operator: ThresholdRule_Operator.LT, value: 1, tone: ThresholdRule_Tone.BAD };
    expect(refusalOf(() => check(note({ thresholds: Array.from({ length: 21 }, () => rule) })))).toBe("tiles[0].thresholds: at most 20 rules");
    expect(refusalOf(() => check(note({ thresholds: [{ ...rule, tone: 9 }] })))).toBe("tiles[0].thresholds[0].tone: unknown Tone 9");
    expect(refusalOf(() => check(note({ viewMode: 42 })))).toBe("tiles[0].view_mode: unknown DashboardTileViewMode 42");
    const id = "0190aaaa-0000-7000-8000-000000000001";
    expect(refusalOf(() => check(note({ id }), note({ id })))).toBe("tiles[1].id: listed twice");
    expect(refusalOf(() => check(note({ id: "0190AAAA-0000-7000-8000-000000000001" }), note({ id })))).toBe("tiles[1].id: listed twice");
  });
});
