// Who belongs to which org, with which role: what the auth boundary asks on every dashboard call.

import type { Role } from "../domain/auth/roles.ts";
import type { Sql } from "../infra/postgres.ts";

export interface Memberships {
  /** The person's role in the org of a live project; undefined if not a member or no such live project. */
  roleInProject(customerId: string, projectId: string): Promise<Role | undefined>;
  /** The person's role in the org; undefined if not a member (or no such org). */
  roleInOrg(customerId: string, orgId: string): Promise<Role | undefined>;
}

export function memberships(sql: Sql): Memberships {
  return {
    async roleInProject(customerId, projectId) {
      const [row] = await sql<{ role: Role }[]>`
        SELECT m.role FROM projects p JOIN org_members m ON m.org_id = p.org_id
        WHERE p.id = ${projectId} AND p.deleted_at IS NULL AND m.customer_id = ${customerId}`;
      return row?.role;
    },
    async roleInOrg(customerId, orgId) {
      const [row] = await sql<{ role: Role }[]>`SELECT role FROM org_members WHERE org_id = ${orgId} AND customer_id = ${customerId}`;
      return row?.role;
    },
  };
}
