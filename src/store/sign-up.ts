// How people get into orgs. A new account (first sign-in of an address, or `pug login-link`) gets an org of its
// own with its person as admin, and a first project with its keys. An invitation adds its person to the
// inviting org instead. Each runs inside the caller's transaction, so a failure leaves nothing half made.

import type { TransactionSql } from "postgres";
import { defaultOrgName } from "../domain/email/email-address.ts";
import type { Role } from "../domain/auth/roles.ts";
import { insertCustomer } from "./customers.ts";
import { insertProjectWithKeys, type ProjectWithKeys } from "./project-with-keys.ts";

export const FIRST_PROJECT_NAME = "My project";

export interface NewAccount extends ProjectWithKeys {
  customerId: string;
  orgId: string;
  orgName: string;
  projectName: string;
  reportingTimezone: string;
}

/** Creates the account of `email` (normalised); undefined when the address already has one. */
export async function signUp(tx: TransactionSql, email: string, reportingTimezone: string): Promise<NewAccount | undefined> {
  const customerId = await insertCustomer(tx, email);
  if (!customerId) return undefined;
  const orgName = defaultOrgName(email);
  const [org] = await tx<{ id: string }[]>`INSERT INTO orgs (name) VALUES (${orgName}) RETURNING id`;
  const orgId = org!.id;
  await tx`INSERT INTO org_members (org_id, customer_id, role) VALUES (${orgId}, ${customerId}, 'admin')`;
  const project = await insertProjectWithKeys(tx, orgId, FIRST_PROJECT_NAME, reportingTimezone);
  return { customerId, orgId, orgName, projectName: FIRST_PROJECT_NAME, reportingTimezone, ...project };
}

/** Makes the person a member of the org with `role`; one already there keeps the higher of the two roles. */
export async function joinOrg(tx: TransactionSql, orgId: string, customerId: string, role: Role): Promise<void> {
  await tx`
    INSERT INTO org_members AS m (org_id, customer_id, role) VALUES (${orgId}, ${customerId}, ${role})
    ON CONFLICT (org_id, customer_id) DO UPDATE SET role = CASE
      WHEN array_position(ARRAY['viewer', 'member', 'admin'], EXCLUDED.role) > array_position(ARRAY['viewer', 'member', 'admin'], m.role)
      THEN EXCLUDED.role ELSE m.role END`;
}

export interface FirstProject {
  orgId: string;
  orgName: string;
  projectId: string;
  projectName: string;
  publicKey: string | undefined;
}

/** The oldest live project among the person's orgs, with its oldest live public key: what an operator is shown. */
export async function firstProjectOf(tx: TransactionSql, customerId: string): Promise<FirstProject | undefined> {
  const [row] = await tx<{ org_id: string; org_name: string; project_id: string; project_name: string; public_key: string | null }[]>`
    SELECT o.id AS org_id, o.name AS org_name, p.id AS project_id, p.name AS project_name,
      (SELECT k.public_key FROM api_keys k WHERE k.project_id = p.id AND k.kind = 'public' AND k.revoked_at IS NULL ORDER BY k.created_at LIMIT 1) AS public_key
    FROM org_members m JOIN orgs o ON o.id = m.org_id JOIN projects p ON p.org_id = o.id AND p.deleted_at IS NULL
    WHERE m.customer_id = ${customerId}
    ORDER BY p.created_at, p.id LIMIT 1`;
  return row && { orgId: row.org_id, orgName: row.org_name, projectId: row.project_id, projectName: row.project_name, publicKey: row.public_key ?? undefined };
}
