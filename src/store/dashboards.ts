// Dashboards and their tiles (migrations/postgres/0008_control_plane.sql). A tile's body is the DashboardTile as
// protobuf JSON (content, view options, position); id, dashboard id and times are columns, put back on read.
// Every read and write names the project: an id of another project's dashboard is as unknown as a made-up one.

import { create, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type postgres from "postgres";
import type { DashboardHeader } from "../domain/dashboards/dashboard-fields.ts";
import type { TileToStore } from "../domain/dashboards/dashboard-tiles.ts";
import { newShareId } from "../domain/dashboards/share-id.ts";
import { isUuid } from "../domain/uuid.ts";
import { type Dashboard, DashboardSchema, DashboardTileSchema } from "../gen/dashboard/dashboards/v1/dashboards_pb.ts";
import type { Sql } from "../infra/postgres.ts";

type Db = Sql | postgres.TransactionSql;

interface DashboardRow {
  id: string;
  project_id: string;
  display_name: string;
  description: string;
  default_time_range: number;
  default_granularity: number;
  share_id: string | null;
  created_at: Date;
  updated_at: Date;
}

interface TileRow {
  id: string;
  dashboard_id: string;
  body: JsonObject;
  created_at: Date;
  updated_at: Date;
}

/** Sharing as Update asks for it: start (keeping a link that exists), stop (the link stops working), or as it is. */
export type Sharing = "share" | "unshare" | undefined;

/** An Upsert listed a tile id that is not on the dashboard; nothing was changed. */
export class UnknownTile extends Error {
  constructor(readonly tileId: string) {
    super(`tile ${tileId} not found on this dashboard`);
  }
}

export async function createDashboard(sql: Sql, projectId: string, header: Required<DashboardHeader>): Promise<Dashboard> {
  const [row] = await sql<DashboardRow[]>`
    INSERT INTO dashboards (project_id, display_name, description, default_time_range, default_granularity)
    VALUES (${projectId}, ${header.displayName}, ${header.description}, ${header.defaultTimeRange}, ${header.defaultGranularity})
    RETURNING *`;
  return toDashboard(row!, []);
}

export async function getDashboard(db: Db, projectId: string, id: string): Promise<Dashboard | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db<DashboardRow[]>`SELECT * FROM dashboards WHERE id = ${id} AND project_id = ${projectId}`;
  return row ? toDashboard(row, await tilesOf(db, [row.id])) : undefined;
}

/** Every dashboard of the project with its tiles, oldest first. */
export async function listDashboards(sql: Sql, projectId: string): Promise<Dashboard[]> {
  const rows = await sql<DashboardRow[]>`SELECT * FROM dashboards WHERE project_id = ${projectId} ORDER BY created_at, id`;
  const tiles = await tilesOf(sql, rows.map((row) => row.id));
  return rows.map((row) => toDashboard(row, tiles));
}

export async function deleteDashboard(sql: Sql, projectId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await sql`DELETE FROM dashboards WHERE id = ${id} AND project_id = ${projectId}`).count === 1;
}

/** Changes the header fields given and sharing; undefined when the project has no such dashboard. */
export async function updateDashboard(sql: Sql, projectId: string, id: string, header: DashboardHeader, sharing: Sharing): Promise<Dashboard | undefined> {
  return await sql.begin(async (tx) => ((await updateHeader(tx, projectId, id, header, sharing)) ? await getDashboard(tx, projectId, id) : undefined));
}

/**
 * Header fields as Update, and the tiles replaced by `tiles` in that order: a tile without id is added, a listed id
 * is updated (keeping its create time), an unlisted one deleted. Throws UnknownTile, changing nothing, when an id
 * is not one of this dashboard's tiles; undefined when the project has no such dashboard.
 */
export async function upsertDashboard(sql: Sql, projectId: string, id: string, header: DashboardHeader, tiles: TileToStore[]): Promise<Dashboard | undefined> {
  return await sql.begin(async (tx) => {
    if (!(await updateHeader(tx, projectId, id, header, undefined))) return undefined;
    const existing = new Set((await tx<{ id: string }[]>`SELECT id FROM dashboard_tiles WHERE dashboard_id = ${id}`).map((row) => row.id));
    const unknown = tiles.find((tile) => tile.id !== "" && !existing.has(tile.id.toLowerCase()));
    if (unknown) throw new UnknownTile(unknown.id);
    const kept = tiles.filter((tile) => tile.id !== "").map((tile) => tile.id.toLowerCase());
    await tx`DELETE FROM dashboard_tiles WHERE dashboard_id = ${id} AND NOT (id = ANY(${kept}::uuid[]))`;
    for (const [ordinal, tile] of tiles.entries()) {
      if (tile.id === "") {
        await tx`INSERT INTO dashboard_tiles (dashboard_id, ordinal, body) VALUES (${id}, ${ordinal}, ${tx.json(tile.body as never)})`;
      } else {
        await tx`UPDATE dashboard_tiles SET ordinal = ${ordinal}, body = ${tx.json(tile.body as never)}, updated_at = now() WHERE id = ${tile.id} AND dashboard_id = ${id}`;
      }
    }
    return await getDashboard(tx, projectId, id);
  });
}

/** The dashboard shared under `shareId` and its project, while shared and while the project is live. */
export async function sharedDashboard(sql: Sql, shareId: string): Promise<Dashboard | undefined> {
  if (shareId === "") return undefined;
  const [row] = await sql<DashboardRow[]>`
    SELECT d.* FROM dashboards d JOIN projects p ON p.id = d.project_id
    WHERE d.share_id = ${shareId} AND p.deleted_at IS NULL`;
  return row ? toDashboard(row, await tilesOf(sql, [row.id])) : undefined;
}

/** Changes the fields given (none is nullable, so NULL means "as it is") and bumps the update time. */
async function updateHeader(tx: postgres.TransactionSql, projectId: string, id: string, header: DashboardHeader, sharing: Sharing): Promise<boolean> {
  if (!isUuid(id)) return false;
  const updated = await tx`
    UPDATE dashboards SET
      display_name = COALESCE(${header.displayName ?? null}::text, display_name),
      description = COALESCE(${header.description ?? null}::text, description),
      default_time_range = COALESCE(${header.defaultTimeRange ?? null}::integer, default_time_range),
      default_granularity = COALESCE(${header.defaultGranularity ?? null}::integer, default_granularity),
      share_id = CASE ${sharing ?? "keep"}::text WHEN 'share' THEN COALESCE(share_id, ${newShareId()}) WHEN 'unshare' THEN NULL ELSE share_id END,
      updated_at = now()
    WHERE id = ${id} AND project_id = ${projectId}`;
  return updated.count === 1;
}

async function tilesOf(db: Db, dashboardIds: string[]): Promise<TileRow[]> {
  if (dashboardIds.length === 0) return [];
  return await db<TileRow[]>`SELECT id, dashboard_id, body, created_at, updated_at FROM dashboard_tiles WHERE dashboard_id = ANY(${dashboardIds}::uuid[]) ORDER BY ordinal, id`;
}

function toDashboard(row: DashboardRow, tiles: TileRow[]): Dashboard {
  return create(DashboardSchema, {
    id: row.id,
    projectId: row.project_id,
    displayName: row.display_name,
    description: row.description,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
    defaultTimeRange: row.default_time_range,
    defaultGranularity: row.default_granularity,
    shareId: row.share_id ?? "",
    tiles: tiles.filter((tile) => tile.dashboard_id === row.id).map((tile) => ({
      ...fromJson(DashboardTileSchema, tile.body, { ignoreUnknownFields: true }),
      id: tile.id,
      dashboardId: tile.dashboard_id,
      createTime: timestampFromDate(tile.created_at),
      updateTime: timestampFromDate(tile.updated_at),
    })),
  });
}
