// Orgs and their members (orgs, org_members joined with customers). A change to a member runs in a transaction
// that first locks every member row of the org, so two admins demoting or removing each other at once cannot
// leave the org without an admin: the second sees the first's change and is refused.

import type { TransactionSql } from "postgres";
import type { Role } from "../domain/auth/roles.ts";
import { lastAdminRefusal, type MemberChange } from "../domain/orgs/last-admin.ts";
import type { Sql } from "../infra/postgres.ts";

export interface Org {
  id: string;
  name: string;
}

export interface OrgMember {
  orgId: string;
  customerId: string;
  email: string;
  displayName: string;
  role: Role;
}

/** What became of a member change: done (with the member as now, unless they left), refused, or no such member. */
export type MemberChangeOutcome =
  | { outcome: "done"; member?: OrgMember }
  | { outcome: "refused"; reason: string }
  | { outcome: "not_found" }
  /** The one making the change is no longer an admin (demoted or removed since the call was admitted). */
  | { outcome: "no_longer_admin" };

/** The person's orgs with their role in each, oldest first. */
export async function orgsOf(sql: Sql, customerId: string): Promise<(Org & { role: Role })[]> {
  return await sql<(Org & { role: Role })[]>`
    SELECT o.id, o.name, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id
    WHERE m.customer_id = ${customerId} ORDER BY o.created_at, o.id`;
}

/** A new org with `customerId` as its only member, an admin. */
export async function createOrg(sql: Sql, customerId: string, name: string): Promise<Org> {
  return await sql.begin(async (tx) => {
    const [org] = await tx<Org[]>`INSERT INTO orgs (name) VALUES (${name}) RETURNING id, name`;
    await tx`INSERT INTO org_members (org_id, customer_id, role) VALUES (${org!.id}, ${customerId}, 'admin')`;
    return org!;
  });
}

export async function getOrg(sql: Sql | TransactionSql, orgId: string): Promise<Org | undefined> {
  const [org] = await sql<Org[]>`SELECT id, name FROM orgs WHERE id = ${orgId}`;
  return org;
}

export async function renameOrg(sql: Sql, orgId: string, name: string): Promise<Org | undefined> {
  const [org] = await sql<Org[]>`UPDATE orgs SET name = ${name} WHERE id = ${orgId} RETURNING id, name`;
  return org;
}

/** The org's members, longest-standing first. */
export async function membersOf(sql: Sql, orgId: string): Promise<OrgMember[]> {
  return await sql<OrgMember[]>`${memberSelect(sql)} WHERE m.org_id = ${orgId} ORDER BY m.created_at, c.email`;
}

/** Whether the address belongs to a member of the org. */
export async function isMemberEmail(sql: Sql | TransactionSql, orgId: string, email: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM org_members m JOIN customers c ON c.id = m.customer_id WHERE m.org_id = ${orgId} AND c.email = ${email}`;
  return rows.length > 0;
}

/** Removes a member (leave, remove) or changes their role, unless that would leave the org without an admin. */
export async function changeMember(sql: Sql, orgId: string, actorId: string, customerId: string, change: MemberChange): Promise<MemberChangeOutcome> {
  return await sql.begin(async (tx): Promise<MemberChangeOutcome> => {
    // Every member row of the org, locked in one order (no deadlock between two such transactions).
    const members = await tx<{ customerId: string; role: Role }[]>`
      SELECT customer_id AS "customerId", role FROM org_members WHERE org_id = ${orgId} ORDER BY customer_id FOR UPDATE`;
    // The boundary admitted the call a moment ago; an admin demoted since then must not still change others.
    if (change.kind !== "leave" && members.find((member) => member.customerId === actorId)?.role !== "admin") return { outcome: "no_longer_admin" };
    const target = members.find((member) => member.customerId === customerId);
    if (!target) return { outcome: "not_found" };
    const reason = lastAdminRefusal(members, customerId, change);
    if (reason) return { outcome: "refused", reason };
    // Invitations an admin sent stop with their admin rights: a removed admin's pending invitations (perhaps to
    // addresses of their own) would otherwise bring them back.
    if (target.role === "admin" && (change.kind !== "role" || change.role !== "admin")) {
      await tx`UPDATE invitations SET revoked_at = now() WHERE org_id = ${orgId} AND invited_by = ${customerId} AND accepted_at IS NULL AND revoked_at IS NULL`;
    }
    if (change.kind !== "role") {
      await tx`DELETE FROM org_members WHERE org_id = ${orgId} AND customer_id = ${customerId}`;
      return { outcome: "done" };
    }
    await tx`UPDATE org_members SET role = ${change.role} WHERE org_id = ${orgId} AND customer_id = ${customerId}`;
    const [member] = await tx<OrgMember[]>`${memberSelect(tx)} WHERE m.org_id = ${orgId} AND m.customer_id = ${customerId}`;
    return { outcome: "done", member: member! };
  });
}

function memberSelect(sql: Sql | TransactionSql) {
  return sql`
    SELECT m.org_id AS "orgId", m.customer_id AS "customerId", c.email, c.display_name AS "displayName", m.role
    FROM org_members m JOIN customers c ON c.id = m.customer_id`;
}
