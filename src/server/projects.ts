// Minimal project bootstrap until the control plane exists: a project in a default organisation, with one
// public and one private key.

import type { Sql } from "../infra/postgres.ts";
import { apiKeyHash, apiKeyHint, generateApiKey } from "../domain/api-keys.ts";

export interface CreatedProject {
  projectId: string;
  orgId: string;
  publicKey: string;
  privateKey: string;
}

export async function createProject(sql: Sql, name: string, orgName = "Default"): Promise<CreatedProject> {
  const publicKey = generateApiKey("public");
  const privateKey = generateApiKey("private");
  return await sql.begin(async (tx) => {
    const [existing] = await tx<{ id: string }[]>`SELECT id FROM orgs WHERE name = ${orgName} ORDER BY created_at LIMIT 1`;
    const orgId = existing?.id ?? (await tx<{ id: string }[]>`INSERT INTO orgs (name) VALUES (${orgName}) RETURNING id`)[0]!.id;
    const [project] = await tx<{ id: string }[]>`INSERT INTO projects (org_id, name) VALUES (${orgId}, ${name}) RETURNING id`;
    const projectId = project!.id;
    await tx`INSERT INTO api_keys (project_id, kind, key_sha256, public_key, hint) VALUES
      (${projectId}, 'public', ${apiKeyHash(publicKey)}, ${publicKey}, ${apiKeyHint(publicKey)}),
      (${projectId}, 'private', ${apiKeyHash(privateKey)}, NULL, ${apiKeyHint(privateKey)})`;
    return { projectId, orgId, publicKey, privateKey };
  });
}

export async function revokeApiKey(sql: Sql, key: string): Promise<boolean> {
  const rows = await sql`UPDATE api_keys SET revoked_at = now() WHERE key_sha256 = ${apiKeyHash(key)} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}
