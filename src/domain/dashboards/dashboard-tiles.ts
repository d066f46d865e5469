// The tiles of an Upsert, checked and turned into what a tile row keeps: its id (empty for a new tile) and its body,
// the DashboardTile as protobuf JSON without id, dashboard id and times (those live in columns). An insight tile's
// spec passes the very checks a Query does (planned over a sample week), so a tile that could never run is refused
// here, naming the field (`tiles[2].insight.spec.events[0].aggregation`).

import { create, type DescEnum, type JsonObject, toJson } from "@bufbuild/protobuf";
import {
  ComparePeriodSchema,
  type DashboardTileInput,
  DashboardTileSchema,
  DashboardTileViewModeSchema,
  type GridPosition,
  ThresholdRule_OperatorSchema,
  ThresholdRule_ToneSchema,
  VisualizationOptions_LegendPositionSchema,
  VisualizationOptions_YAxisFormatSchema,
} from "../../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { Granularity, type InsightQuerySpec } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { planInsight } from "../insights/builders.ts";
import { QueryParams } from "../insights/query-params.ts";
import { charCount, MAX_DESCRIPTION_CHARS, MAX_DISPLAY_NAME_CHARS } from "./dashboard-fields.ts";

export const MAX_TILES = 100;
export const MAX_THRESHOLDS = 20;
export const MAX_MARKDOWN_CHARS = 20_000;
export const GRID_COLUMNS = 72;
const MAX_HEADER_TEXT_CHARS = 100;

export interface TileToStore {
  /** Empty for a new tile. */
  id: string;
  body: JsonObject;
}

/** A week of days in UTC: any spec that runs at all plans over it. The project id only fills a parameter. */
const SAMPLE_WINDOW = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 8), granularity: Granularity.DAY, timezone: "UTC" };
const SAMPLE_PROJECT = "00000000-0000-4000-8000-000000000000";

export function checkTiles(inputs: DashboardTileInput[]): TileToStore[] {
  if (inputs.length > MAX_TILES) throw new FieldError("tiles", `at most ${MAX_TILES} tiles`);
  const seen = new Set<string>();
  return inputs.map((input, index) => {
    if (input.id !== "") {
      // An id that cannot be a tile's is no tile of this dashboard: the caller hears not_found for it like any other.
      // Ids are UUIDs, which the store compares without case: so does this check.
      const id = input.id.toLowerCase();
      if (seen.has(id)) throw new FieldError(`tiles[${index}].id`, "listed twice");
      seen.add(id);
    }
    return { id: input.id, body: tileBody(input, `tiles[${index}]`) };
  });
}

function tileBody(input: DashboardTileInput, at: string): JsonObject {
  text(input.displayName, `${at}.display_name`, MAX_DISPLAY_NAME_CHARS);
  text(input.description, `${at}.description`, MAX_DESCRIPTION_CHARS);
  const content = input.content;
  if (content.case === undefined) throw new FieldError(`${at}.content`, "exactly one of insight or markdown");
  if (content.case === "markdown") text(content.value.body, `${at}.markdown.body`, MAX_MARKDOWN_CHARS);
  else checkSpec(content.value.spec, `${at}.insight`);
  knownEnum(DashboardTileViewModeSchema, input.viewMode, `${at}.view_mode`);
  knownEnum(ComparePeriodSchema, input.compare, `${at}.compare`);
  if (input.thresholds.length > MAX_THRESHOLDS) throw new FieldError(`${at}.thresholds`, `at most ${MAX_THRESHOLDS} rules`);
  input.thresholds.forEach((rule, i) => {
    knownEnum(ThresholdRule_OperatorSchema, rule.operator, `${at}.thresholds[${i}].operator`);
    knownEnum(ThresholdRule_ToneSchema, rule.tone, `${at}.thresholds[${i}].tone`);
    if (!Number.isFinite(rule.value)) throw new FieldError(`${at}.thresholds[${i}].value`, "a finite number");
  });
  if (input.header) {
    text(input.header.icon, `${at}.header.icon`, MAX_HEADER_TEXT_CHARS);
    text(input.header.accentColor, `${at}.header.accent_color`, MAX_HEADER_TEXT_CHARS);
  }
  if (input.visualization) {
    knownEnum(VisualizationOptions_YAxisFormatSchema, input.visualization.yAxisFormat, `${at}.visualization.y_axis_format`);
    knownEnum(VisualizationOptions_LegendPositionSchema, input.visualization.legendPosition, `${at}.visualization.legend_position`);
  }
  if (input.position) checkPosition(input.position, `${at}.position`);
  const tile = create(DashboardTileSchema, {
    displayName: input.displayName,
    description: input.description,
    content,
    viewMode: input.viewMode,
    compare: input.compare,
    thresholds: input.thresholds,
    header: input.header,
    visualization: input.visualization,
    position: input.position,
  });
  return toJson(DashboardTileSchema, tile) as JsonObject;
}

function checkSpec(spec: InsightQuerySpec | undefined, at: string): void {
  try {
    planInsight(spec, SAMPLE_WINDOW, new QueryParams(SAMPLE_PROJECT));
  } catch (error) {
    if (error instanceof FieldError) throw new FieldError(`${at}.${error.field}`, error.problem);
    throw error;
  }
}

function checkPosition(position: GridPosition, at: string): void {
  if (position.x < 0) throw new FieldError(`${at}.x`, "at least 0");
  if (position.y < 0) throw new FieldError(`${at}.y`, "at least 0");
  for (const side of ["w", "h"] as const) {
    if (position[side] < 1 || position[side] > GRID_COLUMNS) throw new FieldError(`${at}.${side}`, `1 to ${GRID_COLUMNS}`);
  }
  if (position.x + position.w > GRID_COLUMNS) throw new FieldError(`${at}.x`, `x + w at most ${GRID_COLUMNS} (the grid's columns)`);
}

function text(value: string, field: string, max: number): void {
  if (charCount(value) > max) throw new FieldError(field, `at most ${max} characters`);
}

function knownEnum(schema: DescEnum, value: number, field: string): void {
  if (!schema.values.some((v) => v.number === value)) throw new FieldError(field, `unknown ${schema.name} ${value}`);
}
