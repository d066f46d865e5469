// Resolves an API key to its project. Postgres is the truth; Redis caches each answer (found or not) for a few
// seconds, so a revoked key stops working within that time and a flood of bad keys does not reach Postgres.
// Without Redis every lookup goes to Postgres.

import type { Sql } from "../../infra/postgres.ts";
import type { Redis } from "../../infra/redis.ts";
import { type ApiKeyKind, apiKeyHash } from "../../domain/api-keys.ts";

export interface ApiKeyOwner {
  projectId: string;
  kind: ApiKeyKind;
}

export interface ApiKeyStore {
  lookup(key: string): Promise<ApiKeyOwner | undefined>;
}

export const API_KEY_CACHE_SECONDS = 5;

export function apiKeyStore(sql: Sql, redis: Redis, onCacheError: (error: unknown) => void): ApiKeyStore {
  return {
    async lookup(key) {
      const hash = apiKeyHash(key);
      const cacheKey = redis.key("apikey", hash.toString("hex"));
      try {
        const cached = await redis.client.get(cacheKey);
        if (cached !== null) return cached === "" ? undefined : (JSON.parse(cached) as ApiKeyOwner);
      } catch (error) {
        onCacheError(error);
      }
      const [row] = await sql<{ project_id: string; kind: ApiKeyKind }[]>`
        SELECT k.project_id, k.kind FROM api_keys k JOIN projects p ON p.id = k.project_id
        WHERE k.key_sha256 = ${hash} AND k.revoked_at IS NULL AND p.deleted_at IS NULL`;
      const owner = row ? { projectId: row.project_id, kind: row.kind } : undefined;
      redis.client.set(cacheKey, owner ? JSON.stringify(owner) : "", "EX", API_KEY_CACHE_SECONDS).catch(onCacheError);
      return owner;
    },
  };
}
