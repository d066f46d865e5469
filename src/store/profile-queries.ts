// Reads and writes of people in Postgres (the truth for identity). Every query is confined to one project: a
// profile of another project is as absent as one that never existed. Live profiles have deleted_at NULL.

import type { TransactionSql } from "postgres";
import type { SqlCondition } from "../domain/profiles/profile-filter-sql.ts";
import type { ListPosition } from "../domain/profiles/page-token.ts";
import type { Sql } from "../infra/postgres.ts";

export interface ProfileRow {
  id: string;
  project_id: string;
  external_id: string;
  traits: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  /** created_at as Postgres prints it, to the microsecond: the list's position (a Date keeps milliseconds). */
  created_key: string;
}

const columns = "id, project_id, external_id, traits, created_at, updated_at, created_at::text AS created_key";

export async function getProfile(sql: Sql, projectId: string, id: string): Promise<ProfileRow | undefined> {
  const [row] = await sql.unsafe<ProfileRow[]>(`SELECT ${columns} FROM profiles WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL`, [projectId, id]);
  return row;
}

export async function getProfileByExternalId(sql: Sql, projectId: string, externalId: string): Promise<ProfileRow | undefined> {
  const [row] = await sql.unsafe<ProfileRow[]>(`SELECT ${columns} FROM profiles WHERE project_id = $1 AND external_id = $2 AND deleted_at IS NULL`, [projectId, externalId]);
  return row;
}

/** The live profile a distinct id belongs to: its external id, or an anonymous id aliased to it. */
export async function profileOfDistinctId(sql: Sql, projectId: string, distinctId: string): Promise<ProfileRow | undefined> {
  const [row] = await sql.unsafe<ProfileRow[]>(
    `SELECT ${columns} FROM profiles
     WHERE project_id = $1 AND deleted_at IS NULL
       AND (external_id = $2 OR id = (SELECT profile_id FROM profile_aliases WHERE project_id = $1 AND alias_id = $2))`,
    [projectId, distinctId],
  );
  return row;
}

/**
 * Live profiles newest first (created_at DESC, id DESC), after `after` when given, matching `filter` (its
 * placeholders must start at $4: $1–$3 are the project and the position). The position is cast from text in
 * the SQL: as a timestamptz parameter the driver would cut it to JavaScript's milliseconds.
 */
export async function listProfiles(sql: Sql, projectId: string, after: ListPosition | undefined, filter: SqlCondition, limit: number): Promise<ProfileRow[]> {
  const position = after ? "AND (created_at, id) < ($2::text::timestamptz, $3::text::uuid)" : "AND $2::text IS NULL AND $3::text IS NULL";
  return await sql.unsafe<ProfileRow[]>(
    `SELECT ${columns} FROM profiles
     WHERE project_id = $1 AND deleted_at IS NULL ${position} AND ${filter.text}
     ORDER BY created_at DESC, id DESC
     LIMIT ${Math.trunc(limit)}`,
    [projectId, after?.createdAt ?? null, after?.id ?? null, ...filter.params],
  );
}

export const LIST_PARAMS_BEFORE_FILTER = 3;

/** The anonymous ids linked to each of `profileIds`. */
export async function aliasesOf(sql: Sql, projectId: string, profileIds: string[]): Promise<Map<string, string[]>> {
  const aliases = new Map<string, string[]>(profileIds.map((id) => [id, []]));
  if (profileIds.length === 0) return aliases;
  const rows = await sql<{ profile_id: string; alias_id: string }[]>`
    SELECT profile_id, alias_id FROM profile_aliases WHERE project_id = ${projectId} AND profile_id = ANY(${profileIds}::uuid[]) ORDER BY alias_id`;
  for (const row of rows) aliases.get(row.profile_id)?.push(row.alias_id);
  return aliases;
}

/** Soft-deletes a live profile; undefined when there is none with that id in the project. */
export async function softDeleteProfile(sql: Sql | TransactionSql, projectId: string, id: string): Promise<{ id: string; version: string } | undefined> {
  const [row] = await sql<{ id: string; version: string }[]>`
    UPDATE profiles SET deleted_at = now(), updated_at = now(), version = nextval('identity_version')
    WHERE project_id = ${projectId} AND id = ${id} AND deleted_at IS NULL
    RETURNING id, version::text AS version`;
  return row;
}
