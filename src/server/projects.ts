// Minimal project bootstrap until the control plane exists: a project in a default organisation, with one
// public and one private key.

import type { Sql } from "../infra/postgres.ts";
import { apiKeyHash } from "../domain/api-keys.ts";
import { insertProjectWithKeys } from "../store/project-with-keys.ts";

export interface CreatedProject {
  projectId: string;
  orgId: string;
  publicKey: string;
  privateKey: string;
}

export async function createProject(sql: Sql, name: string, orgName = "Default"): Promise<CreatedProject> {
  return await sql.begin(async (tx) => {
    const [existing] = await tx<{ id: string }[]>`SELECT id FROM orgs WHERE name = ${orgName} ORDER BY created_at LIMIT 1`;
    const orgId = existing?.id ?? (await tx<{ id: string }[]>`INSERT INTO orgs (name) VALUES (${orgName}) RETURNING id`)[0]!.id;
    return { orgId, ...(await insertProjectWithKeys(tx, orgId, name)) };
  });
}

export async function revokeApiKey(sql: Sql, key: string): Promise<boolean> {
  const rows = await sql`UPDATE api_keys SET revoked_at = now() WHERE key_sha256 = ${apiKeyHash(key)} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}
