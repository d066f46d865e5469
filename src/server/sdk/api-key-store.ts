// Resolves an API key to its project from an in-process snapshot of every live key (hash → owner), so a lookup
// costs no round trip and a flood of made-up keys, from however many addresses, costs Postgres nothing: a key
// missing from a fresh snapshot is refused without asking anyone.
//
// Postgres is the truth. The snapshot is loaded whole at start and every FULL_RELOAD_MS, and in between, every
// REFRESH_MS, it reads only the keys created or revoked, and the projects deleted, since its last read (no new
// column needed: created_at, revoked_at and deleted_at are the watermarks). Those timestamps are the writing
// transaction's start, which commits a little later, so each read reaches back OVERLAP_MS before the previous
// one. A revoked key therefore stops working, and a new key starts working, within about REFRESH_MS. Rows
// deleted outright (not how keys are revoked) and writes from a transaction open longer than OVERLAP_MS are
// caught by the next full reload.
//
// Redis no longer caches lookups: answering from memory is faster than a Redis round trip, and the snapshot
// bounds what Postgres sees to one small query per second per server process, whatever the traffic.
//
// Requests arriving before the first load wait for it. While Postgres cannot be read the snapshot ages: known
// keys keep working (intake must not stop because the control plane is down), but a key it does not know is
// answered "unavailable, retry" once the snapshot is older than STALE_AFTER_MS, as it may have been created since.

import type { Metrics } from "../../app/metrics.ts";
import type { Sql } from "../../infra/postgres.ts";
import type { Logger } from "../../logger.ts";
import { type ApiKeyKind, apiKeyHash } from "../../domain/api-keys.ts";
import { sleep } from "../../domain/backoff.ts";

export interface ApiKeyOwner {
  projectId: string;
  kind: ApiKeyKind;
}

export interface ApiKeyStore {
  /** The key's owner, undefined for an unknown or revoked key; throws while the answer cannot be known. */
  lookup(key: string): Promise<ApiKeyOwner | undefined>;
}

export const REFRESH_MS = 1_000;
const FULL_RELOAD_MS = 60_000;
const OVERLAP_MS = 10_000;
const STALE_AFTER_MS = 5_000;

interface KeyRow {
  key_sha256: Buffer;
  project_id: string;
  kind: ApiKeyKind;
  live: boolean;
}

export class ApiKeysUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiKeysUnavailableError";
  }
}

/** Starts keeping the snapshot current until `signal` aborts. */
export function apiKeyStore(sql: Sql, log: Logger, metrics: Metrics, signal: AbortSignal): ApiKeyStore {
  let keys: Map<string, ApiKeyOwner> | undefined;
  let readAt = 0; // local clock: when the last successful read started
  let since: Date | undefined; // database clock: the `now()` of the last successful read
  const loaded = Promise.withResolvers<void>();

  /** Every live key (a full reload), or only the keys that changed since the last read. */
  async function read(full: boolean): Promise<void> {
    const started = Date.now();
    const from = full ? undefined : new Date(since!.getTime() - OVERLAP_MS);
    const which = from
      ? sql`k.created_at >= ${from} OR k.revoked_at >= ${from} OR p.deleted_at >= ${from}`
      : sql`k.revoked_at IS NULL AND p.deleted_at IS NULL`;
    // One row at least, so the database's clock comes back even when nothing changed.
    const rows = await sql<(Partial<KeyRow> & { as_of: Date })[]>`
      SELECT now() AS as_of, k.key_sha256, k.project_id, k.kind, (k.revoked_at IS NULL AND p.deleted_at IS NULL) AS live
      FROM (SELECT) AS one LEFT JOIN (api_keys k JOIN projects p ON p.id = k.project_id) ON ${which}`;
    const target = from ? keys! : new Map<string, ApiKeyOwner>();
    for (const row of rows) if (row.key_sha256) apply(target, row as KeyRow);
    keys = target;
    since = rows[0]!.as_of;
    readAt = started;
    loaded.resolve();
    metrics.apiKeys.set(target.size);
    metrics.apiKeysReadAt.set(started / 1000);
  }

  void (async () => {
    let lastFull = 0;
    let failing = false;
    while (!signal.aborted) {
      try {
        const full = !keys || Date.now() - lastFull >= FULL_RELOAD_MS;
        await read(full);
        if (full) lastFull = Date.now();
        if (failing) log.info("API keys readable again");
        failing = false;
      } catch (error) {
        if (!failing) log.warn("cannot read API keys from Postgres; answering from the last snapshot", { error });
        failing = true;
      }
      await sleep(REFRESH_MS, signal);
    }
  })();

  return {
    async lookup(key) {
      // Requests that arrive while the first snapshot loads wait for it (a few ms), but not forever.
      if (!keys) await Promise.race([loaded.promise, sleep(STALE_AFTER_MS, signal)]);
      if (!keys) throw new ApiKeysUnavailableError("API keys are not loaded yet");
      const owner = keys.get(apiKeyHash(key).toString("hex"));
      if (owner || Date.now() - readAt <= STALE_AFTER_MS) return owner;
      throw new ApiKeysUnavailableError(`API keys were last read ${Math.round((Date.now() - readAt) / 1000)} s ago`);
    },
  };
}

function apply(keys: Map<string, ApiKeyOwner>, row: KeyRow): void {
  const hash = row.key_sha256.toString("hex");
  if (row.live) keys.set(hash, { projectId: row.project_id, kind: row.kind });
  else keys.delete(hash);
}
