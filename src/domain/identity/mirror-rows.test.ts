import { describe, expect, test } from "bun:test";
import type { StoredProfile } from "./identify-decision.ts";
import { aliasMirrorRow, profileMirrorRow, typedTraits } from "./mirror-rows.ts";

const PROJECT = "0190b6f0-0000-7000-8000-000000000001";
const person: StoredProfile = {
  id: "0190b6f0-0000-7000-8000-0000000000aa",
  externalId: "user-1",
  traits: { name: "Ada", seats: 3, ratio: 0.5, admin: false, tags: ["a"], address: { city: "Paris" }, nothing: null, zero: "0" },
  traitTimes: {},
  deleted: false,
  mergedInto: null,
  version: 42,
  createdAtMs: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
  updatedAtMs: Date.UTC(2025, 0, 3),
};

describe("typedTraits", () => {
  test("texts of every value, numbers of numeric ones, types of the non-string keys", () => {
    expect(typedTraits(person.traits)).toEqual({
      texts: { name: "Ada", seats: "3", ratio: "0.5", admin: "false", tags: '["a"]', address: '{"city":"Paris"}', nothing: "null", zero: "0" },
      numbers: { seats: 3, ratio: 0.5 },
      types: { seats: 2, ratio: 3, admin: 4, tags: 6, address: 6, nothing: 6 },
    });
  });
});

describe("mirror rows", () => {
  test("a live profile", () => {
    const row = profileMirrorRow(PROJECT, person);
    expect(row).toMatchObject({ project_id: PROJECT, external_id: "user-1", profile_id: person.id, version: 42, is_deleted: 0, created_at: "2025-01-02 03:04:05.006", updated_at: "2025-01-03 00:00:00.000" });
    expect(JSON.parse(row.properties)).toEqual(person.traits);
  });

  test("a deleted profile is a deleted row", () => {
    expect(profileMirrorRow(PROJECT, { ...person, deleted: true, version: 50 })).toMatchObject({ is_deleted: 1, version: 50 });
  });

  test("an alias resolves to its owner's external id, and is hidden (at a newer version) once the owner is deleted", () => {
    const alias = { aliasId: "anon-a", profileId: person.id, version: 43 };
    expect(aliasMirrorRow(PROJECT, alias, person)).toEqual({ project_id: PROJECT, alias_id: "anon-a", external_id: "user-1", profile_id: person.id, version: 43, is_deleted: 0 });
    expect(aliasMirrorRow(PROJECT, alias, { ...person, deleted: true, version: 60 })).toMatchObject({ version: 60, is_deleted: 1 });
  });
});
