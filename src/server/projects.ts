// Project bootstrap for the operator (`pug project create`) and tests: a project in a default organisation, with
// one public and one private key. The dashboard creates projects and keys one by one (projects-service.ts).

import type { Sql } from "../infra/postgres.ts";
import { insertProjectWithKeys } from "../store/project-with-keys.ts";

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
    return { orgId, ...(await insertProjectWithKeys(tx, orgId, name)) };
  });
}
