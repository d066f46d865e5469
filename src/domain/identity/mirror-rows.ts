// The ClickHouse mirror of Postgres' identity rows (migrations/clickhouse/0003_profiles.sql). Every row carries
// the Postgres version it was read at, so whichever order rows arrive in, the newest state wins; the same state
// always gives the same row, so writing it again (a replay) changes nothing.

import type { JsonValue } from "@bufbuild/protobuf";
import { clickhouseTime } from "../ingest/event-row.ts";
import type { StoredProfile } from "./identify-decision.ts";
import type { Traits } from "./traits.ts";
import { ValueType } from "../properties/value-types.ts";

/** The contract's ValueType numbers; a key absent from a types map is a STRING (1). */

export interface ProfileMirrorRow {
  project_id: string;
  external_id: string;
  profile_id: string;
  properties: string;
  property_texts: Record<string, string>;
  property_numbers: Record<string, number>;
  property_types: Record<string, number>;
  created_at: string;
  updated_at: string;
  version: number;
  is_deleted: 0 | 1;
}

export interface AliasMirrorRow {
  project_id: string;
  alias_id: string;
  external_id: string;
  profile_id: string;
  version: number;
  is_deleted: 0 | 1;
}

export interface StoredAlias {
  aliasId: string;
  profileId: string;
  version: number;
}

export interface TypedTraits {
  texts: Record<string, string>;
  numbers: Record<string, number>;
  types: Record<string, number>;
}

/** Traits as filterable maps: the text of every value, numbers as numbers, the type of every non-string key. */
export function typedTraits(traits: Traits): TypedTraits {
  const typed: TypedTraits = { texts: {}, numbers: {}, types: {} };
  for (const [key, value] of Object.entries(traits)) {
    const type = traitType(value);
    typed.texts[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (typeof value === "number") typed.numbers[key] = value;
    if (type !== ValueType.STRING) typed.types[key] = type;
  }
  return typed;
}

export function traitType(value: JsonValue): number {
  if (typeof value === "string") return ValueType.STRING;
  if (typeof value === "number") return Number.isInteger(value) ? ValueType.INTEGER : ValueType.FLOAT;
  if (typeof value === "boolean") return ValueType.BOOLEAN;
  return ValueType.OTHER;
}

export function profileMirrorRow(projectId: string, profile: StoredProfile): ProfileMirrorRow {
  const { texts, numbers, types } = typedTraits(profile.traits);
  return {
    project_id: projectId,
    external_id: profile.externalId,
    profile_id: profile.id,
    properties: JSON.stringify(profile.traits),
    property_texts: texts,
    property_numbers: numbers,
    property_types: types,
    created_at: clickhouseTime(profile.createdAtMs),
    updated_at: clickhouseTime(profile.updatedAtMs),
    version: profile.version,
    is_deleted: profile.deleted ? 1 : 0,
  };
}

/**
 * An alias as queries see it: it resolves to its owner's external id while the owner is live. Its version is the
 * newer of the alias's and the owner's, so deleting the owner (a new owner version) hides the alias too.
 */
export function aliasMirrorRow(projectId: string, alias: StoredAlias, owner: StoredProfile): AliasMirrorRow {
  return {
    project_id: projectId,
    alias_id: alias.aliasId,
    external_id: owner.externalId,
    profile_id: owner.id,
    version: Math.max(alias.version, owner.deleted ? owner.version : 0),
    is_deleted: owner.deleted ? 1 : 0,
  };
}
