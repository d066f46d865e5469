// Identity in Postgres (migrations/postgres/0005_profiles.sql): one identify call applied in one transaction,
// and a profile's current state read back for the ClickHouse mirror.
//
// The rows a call touches are locked in a fixed order (the target profile, the anonymous profile, the alias) and
// the decision is made on them as locked (src/domain/identity/identify-decision.ts). Every change takes the next
// identity_version, which orders the mirror's rows. A conflict that locking cannot rule out (an alias claimed by
// another transaction between our read and our insert) throws: the writer converts the message again, and the
// new read sees the alias's owner. Deadlocks and serialization failures throw the same way.

import type { TransactionSql } from "postgres";
import { decideIdentify, type IdentifyInput, type IdentifyPlan, type StoredProfile } from "../domain/identity/identify-decision.ts";
import { isAnonymousId } from "../domain/identity/ids.ts";
import type { StoredAlias } from "../domain/identity/mirror-rows.ts";
import type { Sql } from "../infra/postgres.ts";
import { aliasOwner, aliasesOf, claimAlias, liveOwnerOfAlias, type OwnedAlias, readAlias, repointAlias } from "./profile-aliases.ts";
import { lockInputName } from "./input-locks.ts";

export interface IdentifyCallRecord extends IdentifyInput {
  projectId: string;
  /** The anonymous_id is erased for the call's receive time: apply the call without linking it. */
  anonymousErased: boolean;
}

/** The touched profiles and aliases as they are after the call (also after a replay that changed nothing). */
export interface IdentityRows {
  profiles: StoredProfile[];
  aliases: OwnedAlias[];
}

export interface AppliedIdentify extends IdentityRows {
  plan: IdentifyPlan;
}

export const PROFILE_COLUMNS = ["id", "external_id", "traits", "trait_times", "deleted_at", "merged_into", "version", "created_at", "updated_at"];

export interface ProfileRow {
  id: string;
  external_id: string;
  traits: StoredProfile["traits"];
  trait_times: StoredProfile["traitTimes"];
  deleted_at: Date | null;
  merged_into: string | null;
  version: string;
  created_at: Date;
  updated_at: Date;
}

export const toStoredProfile = (row: ProfileRow): StoredProfile => ({
  id: row.id,
  externalId: row.external_id,
  traits: row.traits,
  traitTimes: row.trait_times,
  deleted: row.deleted_at !== null,
  mergedInto: row.merged_into,
  version: Number(row.version),
  createdAtMs: row.created_at.getTime(),
  updatedAtMs: row.updated_at.getTime(),
});

export async function applyIdentify(sql: Sql, call: IdentifyCallRecord): Promise<AppliedIdentify> {
  return await sql.begin(async (tx) => {
    const { projectId, externalId, anonymousId } = call;
    await lockIds(tx, projectId, [externalId, anonymousId]);
    const owner = isAnonymousId(externalId) ? await liveOwnerOfAlias(tx, projectId, externalId) : undefined;
    const target = owner ?? (await lockOrCreateLive(tx, projectId, externalId));
    const linkable = anonymousId !== "" && anonymousId !== externalId;
    const anonymous = linkable ? await lockLive(tx, projectId, anonymousId) : undefined;
    const currentOwner = linkable ? await aliasOwner(tx, projectId, anonymousId) : undefined;
    const plan = decideIdentify(call, { target, viaAlias: owner !== undefined, anonymous, aliasOwner: currentOwner, anonymousErased: call.anonymousErased });

    if (plan.targetTraits) {
      await tx`UPDATE profiles SET traits = ${tx.json(plan.targetTraits.traits)}, trait_times = ${tx.json(plan.targetTraits.traitTimes)},
        updated_at = now(), version = nextval('identity_version') WHERE id = ${target.id}`;
    }
    const { link } = plan;
    if (link.kind !== "link") return { plan, profiles: [await profileById(tx, target.id)], aliases: [] };
    if (link.mergeAnonymous) {
      await tx`UPDATE profiles SET deleted_at = now(), merged_into = ${target.id}, updated_at = now(), version = nextval('identity_version')
        WHERE id = ${link.mergeAnonymous.id}`;
    }
    if (link.alias === "insert") await claimAlias(tx, projectId, anonymousId, target.id);
    if (link.alias === "repoint") await repointAlias(tx, projectId, anonymousId, currentOwner!.profileId, target.id);

    const person = await profileById(tx, target.id);
    // Also after a replay, where nothing was merged this time: the anonymous profile it merged then.
    const merged = await tx<ProfileRow[]>`SELECT ${tx(PROFILE_COLUMNS)} FROM profiles
      WHERE project_id = ${projectId} AND external_id = ${anonymousId} AND merged_into = ${target.id}`;
    const alias = await readAlias(tx, projectId, anonymousId);
    return { plan, profiles: [person, ...merged.map(toStoredProfile)], aliases: alias ? [{ alias, owner: person }] : [] };
  });
}

/**
 * Calls naming the same id are applied one after the other, whatever the writer runs at once. Row locks alone do
 * not do it: an anonymous id's own identify (creating its anonymous profile) and the identify that links it each
 * see the other's row missing until it commits, and both would go ahead — leaving a live anonymous profile that is
 * also an alias. Locks are taken in one order, so two calls naming the same two ids cannot deadlock.
 */
async function lockIds(tx: TransactionSql, projectId: string, ids: string[]): Promise<void> {
  const keys = [...new Set(ids.filter((id) => id !== ""))].sort();
  for (const id of keys) await lockInputName(tx, `identity\n${projectId}\n${id}`);
}

/**
 * A profile and its aliases as they are now; a profile gone entirely gives no rows. The row is read FOR SHARE: a
 * change still in flight (the API queues its refresh before it commits) is waited for, so what is read is what
 * was committed, never the state just before it.
 */
export async function profileWithAliases(sql: Sql, projectId: string, profileId: string): Promise<IdentityRows> {
  return await sql.begin(async (tx) => {
    const [row] = await tx<ProfileRow[]>`SELECT ${tx(PROFILE_COLUMNS)} FROM profiles WHERE project_id = ${projectId} AND id = ${profileId} FOR SHARE`;
    if (!row) return { profiles: [], aliases: [] };
    const owner = toStoredProfile(row);
    const aliases: StoredAlias[] = await aliasesOf(tx, profileId);
    return { profiles: [owner], aliases: aliases.map((alias) => ({ alias, owner })) };
  });
}

/**
 * The live profile of an external id, locked; created empty if there is none. Creating goes through the partial
 * unique index, so concurrent calls for one external id end on one row; if the live row was deleted between
 * the insert and the lock (a delete from the API), the insert is tried again.
 */
async function lockOrCreateLive(tx: TransactionSql, projectId: string, externalId: string): Promise<StoredProfile> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    await tx`INSERT INTO profiles (project_id, external_id) VALUES (${projectId}, ${externalId})
      ON CONFLICT (project_id, external_id) WHERE deleted_at IS NULL DO NOTHING`;
    const live = await lockLive(tx, projectId, externalId);
    if (live) return live;
  }
  throw new Error(`the live profile of an external id kept disappearing while being identified (project ${projectId})`);
}

async function lockLive(tx: TransactionSql, projectId: string, externalId: string): Promise<StoredProfile | undefined> {
  const [row] = await tx<ProfileRow[]>`SELECT ${tx(PROFILE_COLUMNS)} FROM profiles
    WHERE project_id = ${projectId} AND external_id = ${externalId} AND deleted_at IS NULL FOR UPDATE`;
  return row && toStoredProfile(row);
}

async function profileById(tx: TransactionSql, id: string): Promise<StoredProfile> {
  const [row] = await tx<ProfileRow[]>`SELECT ${tx(PROFILE_COLUMNS)} FROM profiles WHERE id = ${id}`;
  return toStoredProfile(row!);
}
