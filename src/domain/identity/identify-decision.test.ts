import { describe, expect, test } from "bun:test";
import { decideIdentify, type IdentifyInput, type IdentifyState, type StoredProfile } from "./identify-decision.ts";

const profile = (externalId: string, traits: Record<string, string | number> = {}, at = 100, extra: Partial<StoredProfile> = {}): StoredProfile => ({
  id: `id-${externalId}`,
  externalId,
  traits,
  traitTimes: Object.fromEntries(Object.keys(traits).map((key) => [key, at])),
  deleted: false,
  mergedInto: null,
  version: 1,
  createdAtMs: 0,
  updatedAtMs: 0,
  ...extra,
});

const call = (overrides: Partial<IdentifyInput> = {}): IdentifyInput => ({ externalId: "user-1", anonymousId: "anon-a", traits: { plan: "pro" }, receivedMs: 1_000, ...overrides });
const state = (overrides: Partial<IdentifyState> = {}): IdentifyState => ({ target: profile("user-1"), viaAlias: false, anonymousErased: false, ...overrides });

describe("decideIdentify", () => {
  test("a new person: traits set, the anonymous id linked", () => {
    const plan = decideIdentify(call(), state());
    expect(plan.targetTraits).toEqual({ traits: { plan: "pro" }, traitTimes: { plan: 1_000 } });
    expect(plan.link).toEqual({ kind: "link", alias: "insert", mergeAnonymous: undefined });
  });

  test("no anonymous id, or the external id itself: nothing to link", () => {
    expect(decideIdentify(call({ anonymousId: "" }), state()).link).toEqual({ kind: "none" });
    expect(decideIdentify(call({ externalId: "anon-a", anonymousId: "anon-a" }), state({ target: profile("anon-a") })).link).toEqual({ kind: "none" });
  });

  test("an existing person updated: the call's keys win, the others stay", () => {
    const plan = decideIdentify(call({ traits: { plan: "team" }, anonymousId: "" }), state({ target: profile("user-1", { plan: "pro", seats: 2 }) }));
    expect(plan.targetTraits!.traits).toEqual({ plan: "team", seats: 2 });
  });

  test("the anonymous profile is merged: the person's keys and the call's win, the rest is taken", () => {
    const anonymous = profile("anon-a", { plan: "free", utm: "spring", seats: 9 }, 5_000);
    const plan = decideIdentify(call({ traits: { plan: "pro" } }), state({ target: profile("user-1", { seats: 2 }), anonymous }));
    expect(plan.link).toEqual({ kind: "link", alias: "insert", mergeAnonymous: anonymous });
    expect(plan.targetTraits).toEqual({ traits: { plan: "pro", seats: 2, utm: "spring" }, traitTimes: { plan: 1_000, seats: 100, utm: 5_000 } });
  });

  test("a replay changes nothing: alias kept, traits the same", () => {
    const target = profile("user-1", { plan: "pro" }, 1_000);
    const plan = decideIdentify(call(), state({ target, aliasOwner: { profileId: target.id, externalId: "user-1", deleted: false } }));
    expect(plan).toEqual({ targetTraits: undefined, link: { kind: "link", alias: "keep", mergeAnonymous: undefined } });
  });

  test("an anonymous id owned by another person is refused; the call's traits still apply", () => {
    const plan = decideIdentify(call(), state({ anonymous: undefined, aliasOwner: { profileId: "id-user-2", externalId: "user-2", deleted: false } }));
    expect(plan.link).toEqual({ kind: "refused", reason: "aliased_to_other" });
    expect(plan.targetTraits!.traits).toEqual({ plan: "pro" });
  });

  test("an anonymous id left on another person's deleted profile is still refused", () => {
    const plan = decideIdentify(call(), state({ aliasOwner: { profileId: "id-user-2", externalId: "user-2", deleted: true } }));
    expect(plan.link).toEqual({ kind: "refused", reason: "aliased_to_other" });
  });

  test("an anonymous id left on this person's deleted profile follows them to the live one", () => {
    const plan = decideIdentify(call(), state({ aliasOwner: { profileId: "id-old", externalId: "user-1", deleted: true } }));
    expect(plan.link).toEqual({ kind: "link", alias: "repoint", mergeAnonymous: undefined });
  });

  test("an anonymous target never takes an alias", () => {
    const plan = decideIdentify(call({ externalId: "anon-b" }), state({ target: profile("anon-b") }));
    expect(plan.link).toEqual({ kind: "refused", reason: "target_anonymous" });
    expect(plan.targetTraits!.traits).toEqual({ plan: "pro" });
  });

  test("cookieless ids are never linked", () => {
    expect(decideIdentify(call({ anonymousId: "cookieless-abc" }), state()).link).toEqual({ kind: "refused", reason: "cookieless" });
    expect(decideIdentify(call({ externalId: "cookieless-abc" }), state({ target: profile("cookieless-abc") })).link).toEqual({ kind: "refused", reason: "cookieless" });
  });

  test("an id that is not anonymous is never made an alias", () => {
    expect(decideIdentify(call({ anonymousId: "user-9" }), state()).link).toEqual({ kind: "refused", reason: "not_anonymous" });
  });

  test("an erased anonymous id: traits applied, nothing linked or merged", () => {
    const plan = decideIdentify(call(), state({ anonymous: profile("anon-a", { utm: "x" }), anonymousErased: true }));
    expect(plan.link).toEqual({ kind: "refused", reason: "erased" });
    expect(plan.targetTraits!.traits).toEqual({ plan: "pro" });
  });

  test("an anonymous id already linked to a person: its traits fill only what the person lacks", () => {
    const person = profile("user-1", { plan: "pro" }, 100);
    const plan = decideIdentify(call({ externalId: "anon-a", anonymousId: "", traits: { plan: "free", utm: "spring" }, receivedMs: 9_000 }), state({ target: person, viaAlias: true }));
    expect(plan.targetTraits).toEqual({ traits: { plan: "pro", utm: "spring" }, traitTimes: { plan: 100, utm: 9_000 } });
    expect(plan.link).toEqual({ kind: "none" });
  });

  test("an older call leaves newer keys alone (out-of-order application)", () => {
    const plan = decideIdentify(call({ traits: { plan: "free" }, receivedMs: 50, anonymousId: "" }), state({ target: profile("user-1", { plan: "pro" }, 100) }));
    expect(plan.targetTraits).toBeUndefined();
  });
});
