// What one identify call changes, given the rows it touches as they are now. Pure: the store reads and locks the
// rows, asks here, and writes the answer in the same transaction.
//
// The call's traits go to the live profile of its external id. Its anonymous_id is linked to that person (an
// alias) when the person is identified (not `anon-…`), the id is not a cookieless one, it is not erased, and it
// belongs to nobody else: an alias points at one person for good, so an identified person is never merged into
// another. A live anonymous profile of that id is folded in (the person's keys win) and soft-deleted.

import { isAnonymousId, isCookielessId } from "./ids.ts";
import { applyCallTraits, mergeMissingTraits, sameTraits, type StampedTraits, type Traits } from "./traits.ts";

export interface StoredProfile extends StampedTraits {
  id: string;
  externalId: string;
  deleted: boolean;
  mergedInto: string | null;
  version: number;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface IdentifyInput {
  externalId: string;
  anonymousId: string;
  traits: Traits;
  receivedMs: number;
}

export interface AliasOwner {
  profileId: string;
  externalId: string;
  deleted: boolean;
}

export interface IdentifyState {
  /**
   * The live profile the call's traits go to: the external id's own (the store creates it empty if there was
   * none) or, when the external id is an anonymous id already linked to a person (`viaAlias`), that person's.
   */
  target: StoredProfile;
  viaAlias: boolean;
  /** The live profile whose external id is the call's anonymous_id, if any. */
  anonymous?: StoredProfile;
  /** Whom the call's anonymous_id is an alias of now, if anyone. */
  aliasOwner?: AliasOwner;
  /** The anonymous_id is erased for the call's receive time: the call is applied without linking it. */
  anonymousErased: boolean;
}

export type LinkRefusal = "aliased_to_other" | "target_anonymous" | "cookieless" | "not_anonymous" | "erased";

export type LinkDecision =
  | { kind: "none" }
  | { kind: "refused"; reason: LinkRefusal }
  /** `insert` a new alias, `repoint` one left on this person's deleted profile, or `keep` the one there. */
  | { kind: "link"; alias: "insert" | "repoint" | "keep"; mergeAnonymous?: StoredProfile };

export interface IdentifyPlan {
  /** The target's traits after the call, when they change. */
  targetTraits?: StampedTraits;
  link: LinkDecision;
}

export function decideIdentify(call: IdentifyInput, state: IdentifyState): IdentifyPlan {
  const { target } = state;
  // An anonymous id already linked to a person: the person's traits win, as if its profile had been merged.
  let traits = state.viaAlias
    ? mergeMissingTraits(target, { traits: call.traits, traitTimes: Object.fromEntries(Object.keys(call.traits).map((key) => [key, call.receivedMs])) })
    : applyCallTraits(target, call.traits, call.receivedMs);
  const link = decideLink(call, state);
  if (link.kind === "link" && link.mergeAnonymous) traits = mergeMissingTraits(traits, link.mergeAnonymous);
  return { targetTraits: sameTraits(traits, target) ? undefined : traits, link };
}

function decideLink(call: IdentifyInput, state: IdentifyState): LinkDecision {
  const { anonymousId, externalId } = call;
  if (anonymousId === "" || anonymousId === externalId) return { kind: "none" };
  if (isCookielessId(anonymousId) || isCookielessId(externalId)) return refused("cookieless");
  if (isAnonymousId(externalId)) return refused("target_anonymous");
  if (!isAnonymousId(anonymousId)) return refused("not_anonymous");
  if (state.anonymousErased) return refused("erased");
  const owner = state.aliasOwner;
  const mergeAnonymous = state.anonymous && state.anonymous.id !== state.target.id ? state.anonymous : undefined;
  if (!owner) return { kind: "link", alias: "insert", mergeAnonymous };
  if (owner.profileId === state.target.id) return { kind: "link", alias: "keep", mergeAnonymous };
  // The same person, whose profile was deleted and created again: the alias follows them to the live profile.
  if (owner.deleted && owner.externalId === externalId) return { kind: "link", alias: "repoint", mergeAnonymous };
  return refused("aliased_to_other");
}

const refused = (reason: LinkRefusal): LinkDecision => ({ kind: "refused", reason });
