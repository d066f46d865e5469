// Project bootstrap for the operator (`pug project create`) and tests: a project in a default organisation, with
// one public and one private key. The dashboard creates projects and keys one by one (projects-service.ts).

import type { Sql } from "../infra/postgres.ts";
import { createApiKey } from "../store/api-keys.ts";
import { insertProject } from "../store/projects.ts";

export { revokeApiKey } from "../store/api-keys.ts";

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
    const projectId = (await insertProject(tx, { orgId, name })).id;
    const publicKey = (await createApiKey(tx, projectId, "public")).key;
    const privateKey = (await createApiKey(tx, projectId, "private")).key;
    return { projectId, orgId, publicKey, privateKey };
  });
}
