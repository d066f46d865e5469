// Rows for the ClickHouse mirror of identity, grouped by the table they go to (the sink fills two tables).

import { aliasMirrorRow, type AliasMirrorRow, profileMirrorRow, type ProfileMirrorRow } from "../../domain/identity/mirror-rows.ts";
import type { TombstoneView } from "../../store/erasure-tombstones.ts";
import type { IdentityRows } from "../../store/profiles.ts";

export const PROFILES_TABLE = "profiles";
export const ALIASES_TABLE = "profile_aliases";

export type MirrorRow = { table: typeof PROFILES_TABLE; row: ProfileMirrorRow } | { table: typeof ALIASES_TABLE; row: AliasMirrorRow };

/**
 * The mirror rows of what Postgres holds now. Rows of an id under erasure are left out (counted in `dropped`): the
 * erasure removes the mirror's rows, and a late write must not bring them back.
 */
export function mirrorRows(projectId: string, state: IdentityRows, tombstones: TombstoneView, now = Date.now()): { rows: MirrorRow[]; dropped: number } {
  const erased = (id: string) => tombstones.erased(projectId, id, now);
  const rows: MirrorRow[] = [];
  let dropped = 0;
  for (const profile of state.profiles) {
    if (erased(profile.externalId)) dropped++;
    else rows.push({ table: PROFILES_TABLE, row: profileMirrorRow(projectId, profile) });
  }
  for (const { alias, owner } of state.aliases) {
    if (erased(alias.aliasId) || erased(owner.externalId)) dropped++;
    else rows.push({ table: ALIASES_TABLE, row: aliasMirrorRow(projectId, alias, owner) });
  }
  return { rows, dropped };
}

export function splitMirrorRows(rows: MirrorRow[]): Map<string, unknown[]> {
  const byTable = new Map<string, unknown[]>([[PROFILES_TABLE, []], [ALIASES_TABLE, []]]);
  for (const { table, row } of rows) byTable.get(table)!.push(row);
  return byTable;
}
