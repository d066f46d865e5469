// Who belongs to which org, with which role: what the auth boundary asks on every dashboard call, together with
// when the person's sessions were last ended (tokens issued before then are refused).

import type { Role } from "../domain/auth/roles.ts";
import type { Sql } from "../infra/postgres.ts";

export interface Membership {
  role: Role;
  /** customers.sessions_valid_after: null when the person's sessions were never ended. */
  sessionsValidAfter: Date | null;
}

export interface Memberships {
  /** The person's role in the org of a live project; undefined if not a member or no such live project. */
  roleInProject(customerId: string, projectId: string): Promise<Membership | undefined>;
  /** The person's role in the org; undefined if not a member (or no such org). */
  roleInOrg(customerId: string, orgId: string): Promise<Membership | undefined>;
  /** When the person's sessions were last ended: null if never, undefined if there is no such person. */
  sessionsValidAfter(customerId: string): Promise<Date | null | undefined>;
}

interface Row {
  role: Role;
  sessions_valid_after: Date | null;
}

const membership = (row: Row | undefined): Membership | undefined => row && { role: row.role, sessionsValidAfter: row.sessions_valid_after };

export function memberships(sql: Sql): Memberships {
  return {
    async roleInProject(customerId, projectId) {
      const [row] = await sql<Row[]>`
        SELECT m.role, c.sessions_valid_after FROM projects p JOIN org_members m ON m.org_id = p.org_id JOIN customers c ON c.id = m.customer_id
        WHERE p.id = ${projectId} AND p.deleted_at IS NULL AND m.customer_id = ${customerId}`;
      return membership(row);
    },
    async roleInOrg(customerId, orgId) {
      const [row] = await sql<Row[]>`
        SELECT m.role, c.sessions_valid_after FROM org_members m JOIN customers c ON c.id = m.customer_id
        WHERE m.org_id = ${orgId} AND m.customer_id = ${customerId}`;
      return membership(row);
    },
    async sessionsValidAfter(customerId) {
      const [row] = await sql<{ sessions_valid_after: Date | null }[]>`SELECT sessions_valid_after FROM customers WHERE id = ${customerId}`;
      return row?.sessions_valid_after;
    },
  };
}
