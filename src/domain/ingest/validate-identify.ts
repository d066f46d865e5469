// The contract's rules for sdk.profiles.v1.IdentifyRequest, reported with field paths.

import type { IdentifyRequest } from "../../gen/sdk/profiles/v1/profiles_pb.ts";

export function validateIdentify(request: IdentifyRequest): string[] {
  const problems: string[] = [];
  if (request.externalId === "") problems.push("external_id: required");
  else if (request.externalId.startsWith("cookieless-")) problems.push('external_id: must not start with "cookieless-" (reserved for server-derived ids)');
  else if (request.externalId.length > 255) problems.push("external_id: at most 255 characters");
  if (request.anonymousId.length > 255) problems.push("anonymous_id: at most 255 characters");
  else if (request.anonymousId !== "" && !request.anonymousId.startsWith("anon-")) problems.push('anonymous_id: must be empty or start with "anon-"');
  if (request.deviceId.length > 36) problems.push("device_id: at most 36 characters");
  const traits = Object.keys(request.traits ?? {});
  if (traits.length > 500) problems.push(`traits: at most 500 traits, got ${traits.length}`);
  return problems;
}

/** Traits as they are stored: the SDK may send `$ip`, which Pug never keeps. */
export function storableTraits(request: IdentifyRequest): IdentifyRequest {
  if (request.traits && "$ip" in request.traits) delete request.traits.$ip;
  return request;
}
