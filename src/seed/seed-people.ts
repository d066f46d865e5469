// The people of seeded traffic: every visitor who signs in gets a profile `user-<v>` in Postgres (the truth for
// identity) with their anonymous id `anon-<v>` as its alias, as an identify call with that anonymous_id would
// leave them; then the same rows in the ClickHouse mirror, built as the profile worker builds them (versions
// from Postgres' identity_version). Already present people (a second run) are left as they are.

import type { ClickHouseClient } from "@clickhouse/client";
import { aliasMirrorRow, profileMirrorRow } from "../domain/identity/mirror-rows.ts";
import type { Sql } from "../infra/postgres.ts";
import { PROFILE_COLUMNS, type ProfileRow, toStoredProfile } from "../store/profiles.ts";
import { anonymousId, type KnownVisitor, knownVisitorCount, profileTraits, type SeedPlan, signedInAtMs, userId } from "./seed-plan.ts";
import { KNOWN_VISITORS_SQL, trafficParams } from "./traffic-sql.ts";

const BATCH = 5_000;

/** The known visitors [first, first + count) with their facts. */
export async function knownVisitors(ch: ClickHouseClient, plan: SeedPlan, first: number, count: number): Promise<KnownVisitor[]> {
  const result = await ch.query({ query: KNOWN_VISITORS_SQL, query_params: trafficParams(plan, first, count), format: "JSONEachRow" });
  return (await result.json<KnownVisitor>()).map((row) => ({ ...row, visitor: Number(row.visitor), is_trial: Boolean(row.is_trial) }));
}

/** Seeds the people of `plan`; resolves with how many profiles were new. */
export async function insertPeople(sql: Sql, ch: ClickHouseClient, plan: SeedPlan, onProgress: (done: number, total: number) => void): Promise<number> {
  const total = knownVisitorCount(plan);
  let created = 0;
  for (let first = 0; first < total; first += BATCH) {
    const count = Math.min(BATCH, total - first);
    created += await insertBatch(sql, ch, plan, await knownVisitors(ch, plan, first, count));
    onProgress(first + count, total);
  }
  return created;
}

async function insertBatch(sql: Sql, ch: ClickHouseClient, plan: SeedPlan, visitors: KnownVisitor[]): Promise<number> {
  const signedIn = visitors.map((v) => new Date(signedInAtMs(plan, v.visitor)).toISOString());
  const traits = visitors.map((v) => profileTraits(v));
  const traitTimes = visitors.map((v, i) => JSON.stringify(Object.fromEntries(Object.keys(traits[i]!).map((key) => [key, signedInAtMs(plan, v.visitor)]))));
  const { profiles, aliases } = await sql.begin(async (tx) => {
    const profiles = await tx<ProfileRow[]>`
      INSERT INTO profiles (project_id, external_id, traits, trait_times, created_at, updated_at)
      SELECT ${plan.projectId}, external_id, traits::jsonb, trait_times::jsonb, at, at
      FROM unnest(${visitors.map((v) => userId(v.visitor))}::text[], ${traits.map((t) => JSON.stringify(t))}::text[], ${traitTimes}::text[], ${signedIn}::timestamptz[]) AS t (external_id, traits, trait_times, at)
      ON CONFLICT (project_id, external_id) WHERE deleted_at IS NULL DO NOTHING
      RETURNING ${tx(PROFILE_COLUMNS)}`;
    const byExternalId = new Map(profiles.map((p) => [p.external_id, p]));
    const owned = visitors.filter((v) => byExternalId.has(userId(v.visitor)));
    const aliases = await tx<{ alias_id: string; profile_id: string; version: string }[]>`
      INSERT INTO profile_aliases (project_id, alias_id, profile_id, created_at)
      SELECT ${plan.projectId}, alias_id, profile_id, at
      FROM unnest(${owned.map((v) => anonymousId(v.visitor))}::text[], ${owned.map((v) => byExternalId.get(userId(v.visitor))!.id)}::uuid[], ${owned.map((v) => new Date(signedInAtMs(plan, v.visitor)).toISOString())}::timestamptz[]) AS t (alias_id, profile_id, at)
      ON CONFLICT (project_id, alias_id) DO NOTHING
      RETURNING alias_id, profile_id, version`;
    return { profiles, aliases };
  });
  const stored = new Map(profiles.map((p) => [p.id, toStoredProfile(p)]));
  if (profiles.length === 0) return 0;
  await ch.insert({ table: "profiles", values: [...stored.values()].map((p) => profileMirrorRow(plan.projectId, p)), format: "JSONEachRow" });
  await ch.insert({
    table: "profile_aliases",
    values: aliases.map((a) => aliasMirrorRow(plan.projectId, { aliasId: a.alias_id, profileId: a.profile_id, version: Number(a.version) }, stored.get(a.profile_id)!)),
    format: "JSONEachRow",
  });
  return profiles.length;
}
