// An org always keeps an admin: nobody else can manage its members, invitations or projects. Checked against
// the org's member rows as locked by the transaction that makes the change (src/store/orgs.ts).

import type { Role } from "../auth/roles.ts";

export type MemberChange = { kind: "leave" } | { kind: "remove" } | { kind: "role"; role: Role };

/** Why `change` to member `customerId` would leave the org without an admin; undefined when it would not. */
export function lastAdminRefusal(members: readonly { customerId: string; role: Role }[], customerId: string, change: MemberChange): string | undefined {
  const target = members.find((member) => member.customerId === customerId);
  if (target?.role !== "admin") return undefined;
  if (change.kind === "role" && change.role === "admin") return undefined;
  if (members.some((member) => member.role === "admin" && member.customerId !== customerId)) return undefined;
  const what = { leave: "leave the org", remove: "be removed", role: "be demoted" }[change.kind];
  return `the org's last admin cannot ${what}: make another member an admin first`;
}
