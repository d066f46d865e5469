// People, orgs and memberships seeded straight into Postgres, with dashboard tokens signed by the test stack's
// secret: for API tests that are not about signing in.

import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import type { Role } from "../../src/domain/auth/roles.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { TEST_JWT_SECRET } from "./scratch.ts";

export interface SeededMember {
  customerId: string;
  email: string;
  orgId: string;
  projectId: string;
  /** A valid dashboard access token of the person. */
  token: string;
}

/** A person with `role` in `orgId` (a new org with one project when absent). */
export async function seedMember(sql: Sql, role: Role, options: { orgId?: string; email?: string } = {}): Promise<SeededMember> {
  const email = options.email ?? `${role}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const [customer] = await sql<{ id: string }[]>`INSERT INTO customers (email, email_verified) VALUES (${email}, true) RETURNING id`;
  const orgId = options.orgId ?? (await sql<{ id: string }[]>`INSERT INTO orgs (name) VALUES (${`org of ${email}`}) RETURNING id`)[0]!.id;
  await sql`INSERT INTO org_members (org_id, customer_id, role) VALUES (${orgId}, ${customer!.id}, ${role})`;
  const [project] = await sql<{ id: string }[]>`SELECT id FROM projects WHERE org_id = ${orgId} AND deleted_at IS NULL ORDER BY created_at LIMIT 1`;
  const projectId = project?.id ?? (await sql<{ id: string }[]>`INSERT INTO projects (org_id, name) VALUES (${orgId}, 'seeded project') RETURNING id`)[0]!.id;
  return { customerId: customer!.id, email, orgId, projectId, token: await signAccessToken(TEST_JWT_SECRET, customer!.id) };
}

/** The headers the dashboard sends on a project-scoped call. */
export function dashboardHeaders(member: { token: string }, projectId?: string): Record<string, string> {
  return { authorization: `Bearer ${member.token}`, ...(projectId ? { "x-project-id": projectId } : {}) };
}
