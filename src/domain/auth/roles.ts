// Roles in an org: ADMIN ⊃ MEMBER ⊃ VIEWER. Stored as text in Postgres, sent as dashboard.orgs.v1.OrgRole.

import { OrgRole } from "../../gen/dashboard/orgs/v1/orgs_pb.ts";

export type Role = "admin" | "member" | "viewer";

export const ROLES: readonly Role[] = ["admin", "member", "viewer"];

const rank: Record<Role, number> = { viewer: 1, member: 2, admin: 3 };

/** Whether `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

const toWire: Record<Role, OrgRole> = { admin: OrgRole.ADMIN, member: OrgRole.MEMBER, viewer: OrgRole.VIEWER };

export function roleToProto(role: Role): OrgRole {
  return toWire[role];
}

/** The stored role for a wire value; undefined for UNSPECIFIED or a number this server does not know. */
export function roleFromProto(role: OrgRole): Role | undefined {
  return ROLES.find((r) => toWire[r] === role);
}
