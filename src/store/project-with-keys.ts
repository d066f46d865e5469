// A project is born with one public (browser) and one private (server) API key. Shared by `pug project create`
// and sign-up; runs inside the caller's transaction.

import type { TransactionSql } from "postgres";
import { createApiKey } from "./api-keys.ts";
import { insertProject } from "./projects.ts";

export interface ProjectWithKeys {
  projectId: string;
  publicKey: string;
  /** Shown once: only its SHA-256 is kept. */
  privateKey: string;
}

export async function insertProjectWithKeys(tx: TransactionSql, orgId: string, name: string, reportingTimezone = "UTC"): Promise<ProjectWithKeys> {
  const projectId = (await insertProject(tx, { orgId, name, reportingTimezone })).id;
  const publicKey = (await createApiKey(tx, projectId, "public")).key;
  const privateKey = (await createApiKey(tx, projectId, "private")).key;
  return { projectId, publicKey, privateKey };
}
