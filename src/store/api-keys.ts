// A project's API keys (the api_keys table). A key is kept as its SHA-256; a public key also in full, since it
// sits in web pages anyway. Revoking sets revoked_at: the servers' key snapshots (src/server/sdk/api-key-store.ts)
// drop it within about a second.

import type { TransactionSql } from "postgres";
import { type ApiKeyKind, apiKeyHash, apiKeyHint, generateApiKey } from "../domain/api-keys.ts";
import type { Sql } from "../infra/postgres.ts";

export interface ApiKey {
  id: string;
  projectId: string;
  kind: ApiKeyKind;
  /** The whole key, for public keys only. */
  publicKey: string | null;
  /** Enough of the key to recognise it (apiKeyHint). */
  hint: string;
  label: string;
  createdAt: Date;
}

const COLUMNS = (sql: Sql | TransactionSql) =>
  sql`id, project_id AS "projectId", kind, public_key AS "publicKey", hint, label, created_at AS "createdAt"`;

/** A new key of the project; `key` is the whole key, to be shown once. */
export async function createApiKey(sql: Sql | TransactionSql, projectId: string, kind: ApiKeyKind, label = ""): Promise<{ apiKey: ApiKey; key: string }> {
  const key = generateApiKey(kind);
  const [apiKey] = await sql<ApiKey[]>`
    INSERT INTO api_keys (project_id, kind, key_sha256, public_key, hint, label)
    VALUES (${projectId}, ${kind}, ${apiKeyHash(key)}, ${kind === "public" ? key : null}, ${apiKeyHint(key)}, ${label})
    RETURNING ${COLUMNS(sql)}`;
  return { apiKey: apiKey!, key };
}

/** The project's keys that work (not revoked), oldest first. */
export async function liveApiKeys(sql: Sql, projectId: string): Promise<ApiKey[]> {
  return await sql<ApiKey[]>`
    SELECT ${COLUMNS(sql)} FROM api_keys WHERE project_id = ${projectId} AND revoked_at IS NULL ORDER BY created_at, id`;
}

/** Whether a live key of the project with this id was revoked. */
export async function revokeApiKeyById(sql: Sql, projectId: string, id: string): Promise<boolean> {
  const rows = await sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id} AND project_id = ${projectId} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}

/** Whether a live key equal to `key` was revoked (for the operator, who holds the key itself). */
export async function revokeApiKey(sql: Sql, key: string): Promise<boolean> {
  const rows = await sql`UPDATE api_keys SET revoked_at = now() WHERE key_sha256 = ${apiKeyHash(key)} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}
