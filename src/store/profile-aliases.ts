// Postgres' profile_aliases: anonymous ids linked to a person, read and written inside the identify transaction
// of src/store/profiles.ts.

import type { TransactionSql } from "postgres";
import type { AliasOwner, StoredProfile } from "../domain/identity/identify-decision.ts";
import type { StoredAlias } from "../domain/identity/mirror-rows.ts";
import type { Sql } from "../infra/postgres.ts";
import { PROFILE_COLUMNS, type ProfileRow, toStoredProfile } from "./profiles.ts";

export interface OwnedAlias {
  alias: StoredAlias;
  owner: StoredProfile;
}

interface AliasRow {
  alias_id: string;
  profile_id: string;
  version: string;
}

const toStoredAlias = (row: AliasRow): StoredAlias => ({ aliasId: row.alias_id, profileId: row.profile_id, version: Number(row.version) });

/** Whom an anonymous id is linked to now (locked, so it cannot be re-pointed meanwhile). */
export async function aliasOwner(tx: TransactionSql, projectId: string, aliasId: string): Promise<AliasOwner | undefined> {
  const [row] = await tx<{ profile_id: string; external_id: string; deleted_at: Date | null }[]>`
    SELECT a.profile_id, p.external_id, p.deleted_at FROM profile_aliases a JOIN profiles p ON p.id = a.profile_id
    WHERE a.project_id = ${projectId} AND a.alias_id = ${aliasId} FOR UPDATE OF a`;
  return row && { profileId: row.profile_id, externalId: row.external_id, deleted: row.deleted_at !== null };
}

/** The live person an anonymous id is linked to, locked; undefined when it is linked to no live person. */
export async function liveOwnerOfAlias(tx: TransactionSql, projectId: string, aliasId: string): Promise<StoredProfile | undefined> {
  const [row] = await tx<ProfileRow[]>`SELECT ${tx(PROFILE_COLUMNS.map((column) => `p.${column}`))} FROM profile_aliases a
    JOIN profiles p ON p.id = a.profile_id
    WHERE a.project_id = ${projectId} AND a.alias_id = ${aliasId} AND p.deleted_at IS NULL FOR UPDATE OF p`;
  return row && toStoredProfile(row);
}

/** Links an anonymous id; throws (the call is applied again) if another transaction linked it first. */
export async function claimAlias(tx: TransactionSql, projectId: string, aliasId: string, profileId: string): Promise<void> {
  const claimed = await tx`INSERT INTO profile_aliases (project_id, alias_id, profile_id, version)
    VALUES (${projectId}, ${aliasId}, ${profileId}, nextval('identity_version')) ON CONFLICT DO NOTHING RETURNING alias_id`;
  if (claimed.length === 0) throw new Error("an anonymous id was linked by another transaction meanwhile; applying the call again");
}

/** Moves an alias from a person's deleted profile to their live one. */
export async function repointAlias(tx: TransactionSql, projectId: string, aliasId: string, fromProfileId: string, toProfileId: string): Promise<void> {
  const moved = await tx`UPDATE profile_aliases SET profile_id = ${toProfileId}, version = nextval('identity_version')
    WHERE project_id = ${projectId} AND alias_id = ${aliasId} AND profile_id = ${fromProfileId} RETURNING alias_id`;
  if (moved.length === 0) throw new Error("an alias changed owner meanwhile; applying the call again");
}

export async function readAlias(tx: TransactionSql, projectId: string, aliasId: string): Promise<StoredAlias | undefined> {
  const [row] = await tx<AliasRow[]>`SELECT alias_id, profile_id, version FROM profile_aliases WHERE project_id = ${projectId} AND alias_id = ${aliasId}`;
  return row && toStoredAlias(row);
}

export async function aliasesOf(sql: Sql | TransactionSql, profileId: string): Promise<StoredAlias[]> {
  const rows = await sql<AliasRow[]>`SELECT alias_id, profile_id, version FROM profile_aliases WHERE profile_id = ${profileId} ORDER BY alias_id`;
  return rows.map(toStoredAlias);
}
