import { describe, expect, test } from "bun:test";
import type { Role } from "../auth/roles.ts";
import { lastAdminRefusal, type MemberChange } from "./last-admin.ts";

const members = (...roles: Role[]) => roles.map((role, i) => ({ customerId: `c${i}`, role }));

describe("lastAdminRefusal", () => {
  const cases: [string, Role[], string, MemberChange, string | undefined][] = [
    ["the only admin leaves", ["admin", "member"], "c0", { kind: "leave" }, "the org's last admin cannot leave the org: make another member an admin first"],
    ["the only admin is removed", ["admin", "viewer"], "c0", { kind: "remove" }, "the org's last admin cannot be removed: make another member an admin first"],
    ["the only admin becomes a member", ["admin", "member"], "c0", { kind: "role", role: "member" }, "the org's last admin cannot be demoted: make another member an admin first"],
    ["the only admin becomes a viewer", ["admin"], "c0", { kind: "role", role: "viewer" }, "the org's last admin cannot be demoted: make another member an admin first"],
    ["the only admin stays admin", ["admin"], "c0", { kind: "role", role: "admin" }, undefined],
    ["one of two admins leaves", ["admin", "admin"], "c1", { kind: "leave" }, undefined],
    ["one of two admins is demoted", ["member", "admin", "admin"], "c2", { kind: "role", role: "viewer" }, undefined],
    ["a member leaves", ["admin", "member"], "c1", { kind: "leave" }, undefined],
    ["a member is removed", ["admin", "member"], "c1", { kind: "remove" }, undefined],
    ["someone not in the list", ["admin"], "c9", { kind: "remove" }, undefined],
  ];
  test.each(cases)("%s", (_, roles, who, change, refusal) => {
    expect(lastAdminRefusal(members(...roles), who, change)).toBe(refusal);
  });
});
