// GDPR erasure of one person end to end, on real services: `pug worker events` and `pug worker profile` run as
// processes, requests are made through the store functions the API uses, and outcomes are read from ClickHouse
// and Postgres. People are seeded straight into Postgres and the ClickHouse mirror (as the profile writer would
// leave them), so the test does not depend on identify calls being applied.

import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErasureRequestedSchema } from "../../src/gen/internal/compliance/v1/compliance_pb.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject } from "../../src/server/projects.ts";
import { publishEvents } from "../../src/server/sdk/ingest-publisher.ts";
import { type DeletionRequest, type DeletionStatus, getDeletionRequest, InvalidExternalId, requestErasure } from "../../src/store/deletion-requests.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { freePort, waitFor } from "../support/ports.ts";
import { type RunningPug, startPug } from "../support/pug-process.ts";
import { batchBody, CHROME_UA, sdkEvent, sdkRequest, str } from "../support/sdk-events.ts";

let stack: IngestStack;
let sql: Sql;
let profileWorker: RunningPug;

beforeAll(async () => {
  stack = await ingestStack("erasure", { worker: true, env: { PUG_EVENTS_PARTITIONS: "4" } });
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 4 });
  profileWorker = await startProfileWorker();
});
afterAll(async () => {
  await profileWorker?.stop();
  await sql?.end();
  await stack?.stop();
});

const deps = () => ({ sql, nats: async () => stack.nats });

async function startProfileWorker(): Promise<RunningPug> {
  // The profile role listens on the given port + 1 (src/workers/worker-roles.ts).
  const worker = startPug(["worker", "profile"], { ...stack.env, PUG_LOG_LEVEL: "debug", PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${freePort() - 1}` });
  await waitFor("the profile worker to pull erasure requests", async () => {
    if (worker.proc.exitCode !== null) throw new Error(`profile worker exited: ${worker.output()}`);
    return (await stack.nats.jsm.consumers.info(stack.nats.names.stream("compliance"), "compliance-worker")).num_waiting > 0;
  }, 20_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${worker.output()}`);
  });
  return worker;
}

async function restartProfileWorker(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  await profileWorker.stop(signal);
  profileWorker = await startProfileWorker();
}

/** A person as the profile writer leaves them: a profile, anonymous profiles merged into it, their aliases. */
async function seedPerson(externalId: string, aliases: string[]): Promise<string> {
  const [person] = await sql<{ id: string; version: string }[]>`
    INSERT INTO profiles (project_id, external_id, traits) VALUES (${stack.projectId}, ${externalId}, ${sql.json({ email: `${externalId}@example.com` })})
    RETURNING id, version`;
  const mirror = [{ external_id: externalId, profile_id: person!.id, version: person!.version, is_deleted: 0 }];
  const aliasRows = [];
  for (const alias of aliases) {
    const [anonymous] = await sql<{ id: string; version: string }[]>`
      INSERT INTO profiles (project_id, external_id, traits, deleted_at, merged_into)
      VALUES (${stack.projectId}, ${alias}, ${sql.json({ plan: "free" })}, now(), ${person!.id}) RETURNING id, version`;
    const [link] = await sql<{ version: string }[]>`
      INSERT INTO profile_aliases (project_id, alias_id, profile_id) VALUES (${stack.projectId}, ${alias}, ${person!.id}) RETURNING version`;
    mirror.push({ external_id: alias, profile_id: anonymous!.id, version: anonymous!.version, is_deleted: 1 });
    aliasRows.push({ project_id: stack.projectId, alias_id: alias, external_id: externalId, profile_id: person!.id, version: link!.version, is_deleted: 0 });
  }
  const at = new Date().toISOString();
  const profileRows = mirror.map((row) => ({ ...row, project_id: stack.projectId, properties: "{}", property_texts: {}, property_numbers: {}, property_types: {}, created_at: at, updated_at: at }));
  await stack.ch.insert({ table: "profiles", values: profileRows, format: "JSONEachRow" });
  if (aliasRows.length > 0) await stack.ch.insert({ table: "profile_aliases", values: aliasRows, format: "JSONEachRow" });
  return person!.id;
}

/** Sends `count` events as `distinctId` the way the SDK does; resolves with their ids once accepted. */
async function send(distinctId: string, count: number): Promise<string[]> {
  // A value only this id sends, as personal data goes: it must leave the filter schema's recent values too.
  // The same for a URL naming the person: stored in the url column, suggested as `$url`.
  const events = Array.from({ length: count }, () => sdkEvent(stack.projectId, { distinctId, url: accountUrl(distinctId), customProperties: { email: str(`${distinctId}@example.com`) } }));
  const response = await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(events));
  expect(response.status).toBe(200);
  return events.map((event) => event.eventId);
}

async function chCount(table: string, column: string, ids: string[]): Promise<number> {
  const result = await stack.ch.query({
    query: `SELECT count() AS n FROM ${table} WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, ${column})`,
    query_params: { project_id: stack.projectId, ids },
    format: "JSONEachRow",
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

const accountUrl = (distinctId: string) => `https://shop.example.com/account/${distinctId}`;

/** The `email` values the filter schema suggests (recent values of that custom property). */
async function recentEmails(): Promise<string[]> {
  return await recentValues(2, "email");
}

/** The `$url` values naming a person's account that the filter schema suggests. */
async function recentAccountUrls(): Promise<string[]> {
  return (await recentValues(1, "$url")).filter((url) => url.startsWith(accountUrl("")));
}

async function recentValues(source: number, key: string): Promise<string[]> {
  const result = await stack.ch.query({
    query: "SELECT DISTINCT value FROM property_values WHERE project_id = {project_id:UUID} AND source = {source:UInt8} AND key = {key:String} ORDER BY value",
    query_params: { project_id: stack.projectId, source, key },
    format: "JSONEachRow",
  });
  return (await result.json<{ value: string }>()).map((row) => row.value);
}

const storedEvents = (ids: string[]) => chCount("events", "distinct_id", ids);

async function storedEventIds(eventIds: string[]): Promise<string[]> {
  const result = await stack.ch.query({
    query: "SELECT toString(event_id) AS id FROM events WHERE project_id = {project_id:UUID} AND has({ids:Array(UUID)}, event_id)",
    query_params: { project_id: stack.projectId, ids: eventIds },
    format: "JSONEachRow",
  });
  return (await result.json<{ id: string }>()).map((row) => row.id);
}

async function pgProfiles(externalIds: string[]): Promise<{ profiles: number; aliases: number }> {
  const [row] = await sql<{ profiles: string; aliases: string }[]>`
    SELECT (SELECT count(*) FROM profiles WHERE project_id = ${stack.projectId} AND external_id = ANY(${externalIds}::text[])) AS profiles,
           (SELECT count(*) FROM profile_aliases WHERE project_id = ${stack.projectId} AND alias_id = ANY(${externalIds}::text[])) AS aliases`;
  return { profiles: Number(row!.profiles), aliases: Number(row!.aliases) };
}

async function until(requestId: string, status: DeletionStatus, timeoutMs = 60_000): Promise<DeletionRequest> {
  let request: DeletionRequest | undefined;
  await waitFor(`erasure request ${requestId} ${status}`, async () => {
    request = await getDeletionRequest(sql, stack.projectId, requestId);
    if (request?.status === "failed" && status !== "failed") throw new Error(`request failed: ${request.error}`);
    return request?.status === status;
  }, timeoutMs).catch(async (error: Error) => {
    const info = await stack.nats.jsm.consumers.info(stack.nats.names.stream("compliance"), "compliance-worker");
    throw new Error(`${error.message}\nconsumer: ${JSON.stringify({ pending: info.num_pending, ack_pending: info.num_ack_pending, waiting: info.num_waiting, delivered: info.delivered, redelivered: info.num_redelivered })}\nprofile worker: ${profileWorker.output()}`);
  });
  return request!;
}

async function drained(): Promise<void> {
  await waitFor("the events stream emptied", async () => (await stack.queued()) === 0, 30_000);
}

async function expectPersonGone(ids: string[], externalId: string): Promise<void> {
  expect(await storedEvents(ids)).toBe(0);
  expect(await chCount("profile_activity", "distinct_id", ids)).toBe(0);
  expect(await chCount("profile_days", "distinct_id", ids)).toBe(0);
  expect(await chCount("profiles", "external_id", ids)).toBe(0);
  expect(await chCount("profile_aliases", "alias_id", ids)).toBe(0);
  expect(await chCount("profile_aliases", "external_id", [externalId])).toBe(0);
  expect(await pgProfiles(ids)).toEqual({ profiles: 0, aliases: 0 });
}

const U = "user-u";
const A = "anon-0190b6f0-0000-7000-8000-00000000000a";
const V = "user-v";
const VA = "anon-0190b6f0-0000-7000-8000-00000000000b";
let completedU: DeletionRequest;

describe("erasure of one person", () => {
  test("every event under every id of the person is gone at COMPLETED, and stays gone; other people keep theirs", async () => {
    const profileU = await seedPerson(U, [A]);
    await seedPerson(V, [VA]);
    const others = [...(await send(V, 5)), ...(await send(VA, 5))];
    await send(U, 5);
    await send(A, 5);
    await waitFor("the first 20 events stored", async () => (await storedEvents([U, A, V, VA])) === 20, 30_000);
    expect(await chCount("profile_activity", "distinct_id", [U, A])).toBeGreaterThan(0);

    // In flight when the request is made.
    const rightBefore = [...(await send(U, 3)), ...(await send(A, 3))];
    const requested = await requestErasure(deps(), stack.projectId, U);
    expect(requested).toMatchObject({ projectId: stack.projectId, externalId: U, profileId: profileU, status: "pending", eventsIdentified: 0, completedAt: null });

    const statuses: DeletionStatus[] = ["pending"];
    const watching = (async () => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        const status = (await getDeletionRequest(sql, stack.projectId, requested.id))!.status;
        if (statuses.at(-1) !== status) statuses.push(status);
        if (status === "completed" || status === "failed") return;
        await Bun.sleep(20);
      }
    })();
    // Sent while the request is processed: some before the writers see the tombstones, some after.
    const during: { id: string; acceptedAt: number }[] = [];
    const requestedAt = Date.now();
    while (Date.now() - requestedAt < 1_200 && statuses.at(-1) !== "completed") {
      for (const id of [...(await send(U, 2)), ...(await send(A, 2))]) during.push({ id, acceptedAt: Date.now() });
      await Bun.sleep(50);
    }
    const done = await until(requested.id, "completed");
    completedU = done;
    await watching;
    expect(statuses).toEqual(["pending", "processing", "completed"]);
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((event) => event.acceptedAt >= done.completedAt!.getTime())).toEqual([]);

    await expectPersonGone([U, A], U);
    expect(await recentEmails()).toEqual([`${V}@example.com`, `${VA}@example.com`].sort());
    expect(await recentAccountUrls()).toEqual([accountUrl(V), accountUrl(VA)].sort());
    expect(await storedEvents([V, VA])).toBe(10);
    expect((await storedEventIds(others)).length).toBe(10);
    expect(await chCount("profile_activity", "distinct_id", [V])).toBeGreaterThan(0);
    expect(await chCount("profile_activity", "distinct_id", [VA])).toBeGreaterThan(0);
    expect(await chCount("profile_aliases", "alias_id", [VA])).toBe(1);
    expect(await pgProfiles([V, VA])).toEqual({ profiles: 2, aliases: 1 });
    // Everything stored before the request was counted; what was in flight may or may not have landed first.
    expect(done.eventsIdentified).toBeGreaterThanOrEqual(10);
    expect(done.eventsIdentified).toBeLessThanOrEqual(10 + rightBefore.length + during.length);
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(done.requestedAt.getTime());
    expect(done.completedAt!.getTime()).toBeGreaterThan(done.startedAt!.getTime());
    const tombstones = await sql<{ distinct_id: string; cutoff: Date }[]>`SELECT distinct_id, cutoff FROM erasure_tombstones WHERE request_id = ${requested.id} ORDER BY distinct_id`;
    expect(tombstones.map((t) => [t.distinct_id, t.cutoff?.getTime()])).toEqual([A, U].sort().map((id) => [id, done.completedAt!.getTime()]));

    // Nothing in flight comes back once the queues are drained, and the events worker counted what it dropped.
    await drained();
    await Bun.sleep(500);
    await expectPersonGone([U, A], U);
    expect(await storedEventIds([...rightBefore, ...during.map((event) => event.id)])).toEqual([]);
    const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
    expect(Number(/pug_erased_dropped_total\{table="events"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  }, 120_000);

  test("events of the person received before the cutoff but written only after it are dropped, later ones kept", async () => {
    expect(completedU?.status).toBe("completed");
    const cutoff = completedU.completedAt!.getTime();
    const queued = (receivedAt: number, distinctId: string) => {
      const events = Array.from({ length: 2 }, () => sdkEvent(stack.projectId, { distinctId }));
      const context = { projectId: stack.projectId, client: { country: "", region: "", city: "", visitorHash: "" }, userAgent: CHROME_UA, receivedAt };
      return publishEvents(stack.nats, events, context).then(() => events.map((event) => event.eventId));
    };
    // As if they had waited in the queue (a redelivery, a stopped worker) while the erasure ran.
    const stale = [...(await queued(cutoff - 500, U)), ...(await queued(cutoff, A))];
    const fresh = await queued(cutoff + 1, V);
    await waitFor("the later events stored", async () => (await storedEventIds(fresh)).length === 2, 30_000);
    await drained();
    expect(await storedEventIds(stale)).toEqual([]);
    expect(await storedEvents([U, A])).toBe(0);
  }, 60_000);

  test("a person who comes back after the erasure completed is kept", async () => {
    expect(completedU?.status).toBe("completed");
    const back = [...(await send(U, 3)), ...(await send(A, 2))];
    await waitFor("the returning person's events stored", async () => (await storedEventIds(back)).length === 5, 30_000);
    expect(await storedEvents([U, A])).toBe(5);
    const stored = await stack.ch.query({
      query: "SELECT min(received_at) > {cutoff:DateTime64(3, 'UTC')} AS after FROM events WHERE project_id = {project_id:UUID} AND has({ids:Array(String)}, distinct_id)",
      query_params: { project_id: stack.projectId, ids: [U, A], cutoff: completedU.completedAt!.getTime() / 1000 },
      format: "JSONEachRow",
    });
    expect(await stored.json()).toEqual([{ after: 1 }]);
  }, 60_000);

  test("a redelivered request that completed already is acknowledged and changes nothing", async () => {
    const before = await getDeletionRequest(sql, stack.projectId, completedU.id);
    const message = toBinary(ErasureRequestedSchema, create(ErasureRequestedSchema, { requestId: completedU.id, projectId: stack.projectId }));
    const ack = await stack.nats.js.publish(stack.nats.names.subject("compliance", "erase"), message, { msgID: `again-${completedU.id}` });
    const stream = stack.nats.names.stream("compliance");
    await waitFor("the repeated request acknowledged", async () => (await stack.nats.jsm.streams.getMessage(stream, { seq: ack.seq })) === null, 20_000);
    expect(await getDeletionRequest(sql, stack.projectId, completedU.id)).toEqual(before);
    expect(await storedEvents([U, A])).toBe(5);
  }, 60_000);

  test("the worker killed with SIGKILL mid-erasure completes it after a restart, and running it again changes nothing", async () => {
    const K = "user-k";
    const KA = "anon-0190b6f0-0000-7000-8000-00000000000c";
    await seedPerson(K, [KA]);
    await send(K, 4);
    await send(KA, 4);
    await waitFor("K's events stored", async () => (await storedEvents([K, KA])) === 8, 30_000);

    const requested = await requestErasure(deps(), stack.projectId, K);
    await until(requested.id, "processing", 20_000);
    await profileWorker.stop("SIGKILL");
    expect((await getDeletionRequest(sql, stack.projectId, requested.id))!.status).toBe("processing");
    expect(await storedEvents([K, KA])).toBe(8);

    profileWorker = await startProfileWorker();
    const done = await until(requested.id, "completed");
    expect(done.eventsIdentified).toBe(8);
    await expectPersonGone([K, KA], K);

    // As if the worker had died after deleting everything but before recording completion.
    await sql`UPDATE deletion_requests SET status = 'processing', completed_at = NULL WHERE id = ${requested.id}`;
    await sql`UPDATE erasure_tombstones SET cutoff = NULL WHERE request_id = ${requested.id}`;
    await restartProfileWorker();
    const again = await until(requested.id, "completed");
    expect(again.eventsIdentified).toBe(8);
    await expectPersonGone([K, KA], K);
  }, 120_000);

  test("a request whose message was lost is picked up by the worker's sweep", async () => {
    const L = "user-l";
    await seedPerson(L, []);
    await send(L, 3);
    await waitFor("L's events stored", async () => (await storedEvents([L])) === 3, 30_000);
    const [row] = await sql<{ id: string }[]>`
      INSERT INTO deletion_requests (project_id, external_id, requested_at) VALUES (${stack.projectId}, ${L}, now() - interval '5 minutes') RETURNING id`;
    await sql`INSERT INTO erasure_tombstones (project_id, distinct_id, request_id) VALUES (${stack.projectId}, ${L}, ${row!.id})`;
    await restartProfileWorker();
    const done = await until(row!.id, "completed");
    expect(done.eventsIdentified).toBe(3);
    await expectPersonGone([L], L);
  }, 60_000);

  test("a message that arrives before its request is committed waits for it; one never committed is dropped", async () => {
    const M = "user-m";
    await seedPerson(M, []);
    await send(M, 2);
    await waitFor("M's events stored", async () => (await storedEvents([M])) === 2, 30_000);
    const subject = stack.nats.names.subject("compliance", "erase");
    const publish = (requestId: string) =>
      stack.nats.js.publish(subject, toBinary(ErasureRequestedSchema, create(ErasureRequestedSchema, { requestId, projectId: stack.projectId })), { msgID: requestId });
    const late = crypto.randomUUID();
    const never = crypto.randomUUID();
    const neverAck = await publish(never);
    await publish(late);
    await Bun.sleep(300);
    await sql.begin(async (tx) => {
      await tx`INSERT INTO deletion_requests (id, project_id, external_id) VALUES (${late}, ${stack.projectId}, ${M})`;
      await tx`INSERT INTO erasure_tombstones (project_id, distinct_id, request_id) VALUES (${stack.projectId}, ${M}, ${late})`;
    });
    const done = await until(late, "completed");
    expect(done.eventsIdentified).toBe(2);
    await expectPersonGone([M], M);
    const stream = stack.nats.names.stream("compliance");
    await waitFor("the message of a request never recorded dropped", async () => (await stack.nats.jsm.streams.getMessage(stream, { seq: neverAck.seq })) === null, 30_000);
    expect(await getDeletionRequest(sql, stack.projectId, never)).toBeUndefined();
  }, 60_000);

  test("a request is visible only to its own project", async () => {
    const other = await createProject(sql, "erasure other");
    expect(await getDeletionRequest(sql, other.projectId, completedU.id)).toBeUndefined();
    expect(await getDeletionRequest(sql, stack.projectId, crypto.randomUUID())).toBeUndefined();
    expect(await getDeletionRequest(sql, stack.projectId, "not-a-uuid")).toBeUndefined();
    expect((await getDeletionRequest(sql, stack.projectId, completedU.id))?.id).toBe(completedU.id);
  });

  test.each([
    ["empty", "", "external_id: required"],
    ["cookieless", "cookieless-3f2a", "external_id: must not start with"],
    ["too long", "x".repeat(256), "external_id: at most 255"],
  ])("an external id that is %s is refused naming external_id, and nothing is recorded", async (_, externalId, message) => {
    const count = async () => Number((await sql<{ n: string }[]>`SELECT count(*) AS n FROM deletion_requests`)[0]!.n);
    const before = await count();
    const refusal = await requestErasure(deps(), stack.projectId, externalId).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(InvalidExternalId);
    expect((refusal as InvalidExternalId).field).toBe("external_id");
    expect((refusal as Error).message).toStartWith(message);
    expect(await count()).toBe(before);
  });

  test("when the request cannot be queued, nothing is recorded and the caller gets the error", async () => {
    // A real NATS connection whose prefix has no compliance stream: JetStream refuses the publish.
    const elsewhere = await connectNats({ url: stack.env.NATS_URL, prefix: `${stack.env.PUG_NATS_PREFIX}_nostream` });
    try {
      const before = await sql<{ n: string }[]>`SELECT count(*) AS n FROM deletion_requests WHERE external_id = ${V}`;
      const eventsBefore = await storedEvents([V, VA]);
      const failure = await requestErasure({ sql, nats: async () => elsewhere }, stack.projectId, V).then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(InvalidExternalId);
      const after = await sql<{ n: string }[]>`SELECT count(*) AS n FROM deletion_requests WHERE external_id = ${V}`;
      expect(after[0]!.n).toBe(before[0]!.n);
      expect((await sql`SELECT 1 FROM erasure_tombstones WHERE distinct_id = ${V}`).length).toBe(0);
      expect(await storedEvents([V, VA])).toBe(eventsBefore);
      expect(await pgProfiles([V, VA])).toEqual({ profiles: 2, aliases: 1 });
    } finally {
      await elsewhere.close();
    }
  });
});
