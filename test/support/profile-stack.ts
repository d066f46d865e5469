// The profile worker for tests: start `pug worker profile` beside an ingest stack, send identify calls over the
// SDK's wire, and read identity as Postgres holds it and as the ClickHouse mirror shows it.

import { expect } from "bun:test";
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { aliasMirrorRow, profileMirrorRow } from "../../src/domain/identity/mirror-rows.ts";
import { IdentifyRequestSchema } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { PROFILE_COLUMNS, type ProfileRow, toStoredProfile } from "../../src/store/profiles.ts";
import { type IngestStack, ingestStack } from "./ingest-stack.ts";
import { waitFor } from "./ports.ts";
import { type RunningPug, startPug } from "./pug-process.ts";
import { CHROME_UA } from "./sdk-events.ts";

export const IDENTIFY = "/sdk.profiles.v1.ProfilesSDKService/Identify";

export interface ProfileStack {
  stack: IngestStack;
  sql: Sql;
  /** The running profile worker; a test that restarts it puts the new one here. */
  worker: RunningPug;
  stop(): Promise<void>;
}

/** An ingest stack (SDK rate limits off), a Postgres client on its database, and a running profile worker. */
export async function profileStack(name: string, options: { eventsWorker?: boolean; env?: Record<string, string> } = {}): Promise<ProfileStack> {
  const stack = await ingestStack(name, { worker: options.eventsWorker, env: { PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_IDENTIFY_PS: "100000", ...options.env } });
  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  const profile: ProfileStack = {
    stack,
    sql,
    worker: await startProfileWorker(stack),
    async stop() {
      await profile.worker.stop();
      await sql.end();
      await stack.stop();
    },
  };
  return profile;
}

/** The mirror's newest rows equal what Postgres holds (waiting a little for the writer's last flush). */
export async function expectMirrorEqualsPostgres(profile: ProfileStack, timeoutMs = 15_000): Promise<void> {
  const expected = await expectedMirror(profile.sql, profile.stack.projectId);
  await waitFor("the mirror to equal Postgres", async () => Bun.deepEquals(await mirror(profile.stack), expected), timeoutMs).catch(() => {});
  expect(await mirror(profile.stack)).toEqual(expected);
}

/**
 * Starts `pug worker profile`; resolves once it pulls from its consumer (while a backlog keeps it busy it has no
 * pull waiting: pass `waitUntilPulling` false and watch its progress instead).
 */
export async function startProfileWorker(stack: IngestStack, extra: Record<string, string> = {}, waitUntilPulling = true): Promise<RunningPug> {
  const worker = startPug(["worker", "profile"], { ...stack.env, PUG_WORKER_HEALTH_ADDR: "off", ...extra });
  if (waitUntilPulling) await waitFor("the profile worker to pull from its consumer", async () => {
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

/** The last stream sequence the profile writer committed (its ledger in Postgres). */
export async function profilesCommitted(sql: Sql, stack: IngestStack): Promise<number> {
  const [row] = await sql<{ committed_seq: string }[]>`SELECT committed_seq FROM ingest_checkpoints WHERE consumer = ${`${stack.nats.names.stream("profiles")}/profile-worker`}`;
  return Number(row?.committed_seq ?? 0);
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
