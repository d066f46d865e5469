// The profile worker for tests: start `pug worker profile` beside an ingest stack, send identify calls over the
// SDK's wire, and read identity as Postgres holds it and as the ClickHouse mirror shows it.

import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { aliasMirrorRow, profileMirrorRow } from "../../src/domain/identity/mirror-rows.ts";
import { IdentifyRequestSchema } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { PROFILE_COLUMNS, type ProfileRow, toStoredProfile } from "../../src/store/profiles.ts";
import type { IngestStack } from "./ingest-stack.ts";
import { freePort, waitFor } from "./ports.ts";
import { type RunningPug, startPug } from "./pug-process.ts";
import { CHROME_UA } from "./sdk-events.ts";

export const IDENTIFY = "/sdk.profiles.v1.ProfilesSDKService/Identify";

/** Starts `pug worker profile`; resolves once it pulls from its consumer. */
export async function startProfileWorker(stack: IngestStack, extra: Record<string, string> = {}): Promise<RunningPug> {
  const worker = startPug(["worker", "profile"], { ...stack.env, PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${freePort()}`, ...extra });
  await waitFor("the profile worker to pull from its consumer", async () => {
    if (worker.proc.exitCode !== null) throw new Error(`profile worker exited: ${worker.output()}`);
    return (await stack.nats.jsm.consumers.info(stack.nats.names.stream("profiles"), "profile-worker")).num_waiting > 0;
  }, 20_000);
  return worker;
}

export type IdentifyInit = Omit<MessageInitShape<typeof IdentifyRequestSchema>, "$typeName">;

/** One Identify exactly as the SDK sends it (binary Connect); throws unless answered 200. */
export async function identify(stack: IngestStack, init: IdentifyInit): Promise<void> {
  const response = await identifyRequest(stack, init);
  if (response.status !== 200) throw new Error(`identify answered ${response.status}: ${await response.text()}`);
}

export function identifyRequest(stack: IngestStack, init: IdentifyInit): Promise<Response> {
  return fetch(stack.baseUrl + IDENTIFY, {
    method: "POST",
    headers: { "content-type": "application/proto", "connect-protocol-version": "1", "x-api-key": stack.publicKey, "user-agent": CHROME_UA },
    body: toBinary(IdentifyRequestSchema, create(IdentifyRequestSchema, init)),
  });
}

/** Waits until the profile worker has written (and so acknowledged) every queued profile message. */
export async function profilesDrained(stack: IngestStack, timeoutMs = 30_000): Promise<void> {
  const stream = stack.nats.names.stream("profiles");
  await waitFor("the profiles stream emptied", async () => (await stack.nats.jsm.streams.info(stream)).state.messages === 0, timeoutMs);
}

export interface PgProfile extends ProfileRow {
  project_id: string;
}

/** Every profile row of the project, deleted ones included, as Postgres holds them. */
export async function pgProfiles(sql: Sql, projectId: string): Promise<PgProfile[]> {
  return await sql<PgProfile[]>`SELECT project_id, ${sql(PROFILE_COLUMNS)} FROM profiles WHERE project_id = ${projectId} ORDER BY external_id, version`;
}

export async function pgAliases(sql: Sql, projectId: string): Promise<{ alias_id: string; profile_id: string; version: string }[]> {
  return await sql`SELECT alias_id, profile_id, version FROM profile_aliases WHERE project_id = ${projectId} ORDER BY alias_id`;
}

/** What the mirror must hold for Postgres' current state: per external id its newest profile, every alias. */
export async function expectedMirror(sql: Sql, projectId: string): Promise<{ profiles: unknown[]; aliases: unknown[] }> {
  const newest = new Map<string, PgProfile>();
  const byId = new Map<string, PgProfile>();
  for (const row of await pgProfiles(sql, projectId)) {
    byId.set(row.id, row);
    const seen = newest.get(row.external_id);
    if (!seen || Number(seen.version) < Number(row.version)) newest.set(row.external_id, row);
  }
  const profiles = [...newest.values()].map((row) => profileMirrorRow(projectId, toStoredProfile(row)));
  const aliases = (await pgAliases(sql, projectId)).map((alias) =>
    aliasMirrorRow(projectId, { aliasId: alias.alias_id, profileId: alias.profile_id, version: Number(alias.version) }, toStoredProfile(byId.get(alias.profile_id)!)));
  return { profiles: sortBy(profiles, "external_id"), aliases: sortBy(aliases, "alias_id") };
}

/** The mirror's newest row per key (deleted ones included), in the shape the worker writes. */
export async function mirror(stack: IngestStack): Promise<{ profiles: unknown[]; aliases: unknown[] }> {
  const read = async (query: string) => {
    const result = await stack.ch.query({ query, format: "JSONEachRow", query_params: { project: stack.projectId }, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    return await result.json<Record<string, unknown>>();
  };
  const profiles = await read(`SELECT toString(project_id) AS project_id, external_id, toString(profile_id) AS profile_id, properties, property_texts, property_numbers,
      property_types, toString(created_at) AS created_at, toString(updated_at) AS updated_at, version, is_deleted
    FROM (SELECT * FROM profiles WHERE project_id = {project:UUID}) ORDER BY version DESC LIMIT 1 BY external_id`);
  const aliases = await read(`SELECT toString(project_id) AS project_id, alias_id, external_id, toString(profile_id) AS profile_id, version, is_deleted
    FROM (SELECT * FROM profile_aliases WHERE project_id = {project:UUID}) ORDER BY version DESC LIMIT 1 BY alias_id`);
  return { profiles: sortBy(profiles, "external_id"), aliases: sortBy(aliases, "alias_id") };
}

/** Live rows as `FINAL` shows them: (external ids, alias ids). */
export async function mirrorFinal(stack: IngestStack): Promise<{ profiles: string[]; aliases: string[] }> {
  const ids = async (query: string) => {
    const result = await stack.ch.query({ query, format: "JSONEachRow", query_params: { project: stack.projectId } });
    return (await result.json<{ id: string }>()).map((row) => row.id).sort();
  };
  return {
    profiles: await ids("SELECT external_id AS id FROM profiles FINAL WHERE project_id = {project:UUID} AND is_deleted = 0"),
    aliases: await ids("SELECT alias_id AS id FROM profile_aliases FINAL WHERE project_id = {project:UUID} AND is_deleted = 0"),
  };
}

const sortBy = <T>(rows: T[], key: string): T[] => rows.sort((a, b) => String((a as Record<string, unknown>)[key]).localeCompare(String((b as Record<string, unknown>)[key])));
