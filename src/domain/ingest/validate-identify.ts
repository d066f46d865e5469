// The contract's rules for sdk.profiles.v1.IdentifyRequest, reported with field paths.

import type { JsonValue } from "@bufbuild/protobuf";
import type { IdentifyRequest } from "../../gen/sdk/profiles/v1/profiles_pb.ts";
import { nameProblem, textProblem } from "./storable-values.ts";

const MAX_TRAITS = 500;
const MAX_TRAIT_NAME_LENGTH = 200;

export function validateIdentify(request: IdentifyRequest): string[] {
  const problems: string[] = [];
  if (request.externalId === "") problems.push("external_id: required");
  else if (request.externalId.startsWith("cookieless-")) problems.push('external_id: must not start with "cookieless-" (reserved for server-derived ids)');
  else if (request.externalId.length > 255) problems.push("external_id: at most 255 characters");
  else if (!request.externalId.isWellFormed()) problems.push(`external_id: ${textProblem(request.externalId)}`);
  if (request.anonymousId.length > 255) problems.push("anonymous_id: at most 255 characters");
  else if (request.anonymousId !== "" && !request.anonymousId.startsWith("anon-")) problems.push('anonymous_id: must be empty or start with "anon-"');
  else if (!request.anonymousId.isWellFormed()) problems.push(`anonymous_id: ${textProblem(request.anonymousId)}`);
  if (request.deviceId.length > 36) problems.push("device_id: at most 36 characters");
  else if (!request.deviceId.isWellFormed()) problems.push(`device_id: ${textProblem(request.deviceId)}`);
  const traits = Object.keys(request.traits ?? {});
  if (traits.length > MAX_TRAITS) problems.push(`traits: at most ${MAX_TRAITS} traits, got ${traits.length}`);
  for (const name of traits) {
    const at = `traits[${JSON.stringify(name)}]`;
    const problem = nameProblem(name, MAX_TRAIT_NAME_LENGTH) ?? traitValueProblem(request.traits![name]!);
    if (problem) problems.push(`${at}: ${problem}`);
  }
  return problems;
}

/**
 * Trait values are JSON: numbers must be finite (binary Struct can carry NaN), text valid Unicode, and free of
 * NUL characters, which Postgres' jsonb (where profiles are kept) cannot store.
 */
function traitValueProblem(value: JsonValue): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `numbers must be finite, got ${value}`;
  if (typeof value === "string") return textProblem(value) ?? nulProblem(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = traitValueProblem(item);
      if (problem) return problem;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key) ?? nulProblem(key);
      const problem = (keyProblem ? `key ${JSON.stringify(key)}: ${keyProblem}` : undefined) ?? traitValueProblem(item);
      if (problem) return problem;
    }
  }
  return undefined;
}

const nulProblem = (text: string): string | undefined => (text.includes("\u0000") ? "must not contain NUL characters (\\u0000)" : undefined);

/** Traits as they are stored: the SDK may send `$ip`, which Pug never keeps. */
export function storableTraits(request: IdentifyRequest): IdentifyRequest {
  if (request.traits && "$ip" in request.traits) delete request.traits.$ip;
  return request;
}
