// A project is born with one public (browser) and one private (server) API key. Shared by `pug project create`
// and sign-up; runs inside the caller's transaction.

import type { TransactionSql } from "postgres";
import { apiKeyHash, apiKeyHint, generateApiKey } from "../domain/api-keys.ts";

export interface ProjectWithKeys {
  projectId: string;
  publicKey: string;
  /** Shown once: only its SHA-256 is kept. */
  privateKey: string;
}

export async function insertProjectWithKeys(tx: TransactionSql, orgId: string, name: string, reportingTimezone = "UTC"): Promise<ProjectWithKeys> {
  const publicKey = generateApiKey("public");
  const privateKey = generateApiKey("private");
  const [project] = await tx<{ id: string }[]>`
    INSERT INTO projects (org_id, name, reporting_timezone) VALUES (${orgId}, ${name}, ${reportingTimezone}) RETURNING id`;
  const projectId = project!.id;
  await tx`INSERT INTO api_keys (project_id, kind, key_sha256, public_key, hint) VALUES
    (${projectId}, 'public', ${apiKeyHash(publicKey)}, ${publicKey}, ${apiKeyHint(publicKey)}),
    (${projectId}, 'private', ${apiKeyHash(privateKey)}, NULL, ${apiKeyHint(privateKey)})`;
  return { projectId, publicKey, privateKey };
}
