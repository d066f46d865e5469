// Projects (the projects table): created in an org, listed, changed and soft-deleted. A deleted project's keys
// stop working within about a second (the servers' key snapshots skip deleted projects); the scheduler purges
// its data after the grace period.

import type { TransactionSql } from "postgres";
import type { Sql } from "../infra/postgres.ts";

export interface Project {
  id: string;
  orgId: string;
  name: string;
  reportingTimezone: string;
  retentionDays: number;
}

/** What UpdateMeta may change; an absent field stays as it is. */
export interface ProjectChanges {
  name?: string;
  reportingTimezone?: string;
  retentionDays?: number;
}

const COLUMNS = (sql: Sql | TransactionSql) =>
  sql`id, org_id AS "orgId", name, reporting_timezone AS "reportingTimezone", retention_days AS "retentionDays"`;

export async function insertProject(sql: Sql | TransactionSql, project: { orgId: string; name: string } & ProjectChanges): Promise<Project> {
  const [row] = await sql<Project[]>`
    INSERT INTO projects (org_id, name, reporting_timezone, retention_days)
    VALUES (${project.orgId}, ${project.name}, ${project.reportingTimezone ?? "UTC"}, ${project.retentionDays ?? 0})
    RETURNING ${COLUMNS(sql)}`;
  return row!;
}

/** The org's projects that are not deleted, oldest first. */
export async function liveProjectsOf(sql: Sql, orgId: string): Promise<Project[]> {
  return await sql<Project[]>`SELECT ${COLUMNS(sql)} FROM projects WHERE org_id = ${orgId} AND deleted_at IS NULL ORDER BY created_at, id`;
}

export async function liveProject(sql: Sql, id: string): Promise<Project | undefined> {
  const [row] = await sql<Project[]>`SELECT ${COLUMNS(sql)} FROM projects WHERE id = ${id} AND deleted_at IS NULL`;
  return row;
}

/** The live project with `changes` applied; undefined if there is no such live project. */
export async function updateProject(sql: Sql, id: string, changes: ProjectChanges): Promise<Project | undefined> {
  const [row] = await sql<Project[]>`
    UPDATE projects SET
      name = COALESCE(${changes.name ?? null}::text, name),
      reporting_timezone = COALESCE(${changes.reportingTimezone ?? null}::text, reporting_timezone),
      retention_days = COALESCE(${changes.retentionDays ?? null}::integer, retention_days)
    WHERE id = ${id} AND deleted_at IS NULL
    RETURNING ${COLUMNS(sql)}`;
  return row;
}

/** Whether a live project was marked deleted. */
export async function softDeleteProject(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`UPDATE projects SET deleted_at = now() WHERE id = ${id} AND deleted_at IS NULL RETURNING id`;
  return rows.length > 0;
}
