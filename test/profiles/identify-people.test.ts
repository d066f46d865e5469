// People across ids: events of an anonymous visitor and of the person they identify as count as one person in
// queries (src/domain/identity/person-sql.ts), and the profile worker drops calls of erased people.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { personJoin } from "../../src/domain/identity/person-sql.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import type { IngestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { identify, pgAliases, pgProfiles, profilesDrained, type ProfileStack, profileStack } from "../support/profile-stack.ts";
import { batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";

let profile: ProfileStack;
let stack: IngestStack;
let sql: Sql;

beforeAll(async () => {
  profile = await profileStack("identify_people", { eventsWorker: true });
  ({ stack, sql } = profile);
}, 60_000);

afterAll(() => profile?.stop());

async function sendEvents(distinctId: string, count: number): Promise<void> {
  const response = await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(Array.from({ length: count }, () => sdkEvent(stack.projectId, { distinctId }))));
  expect(response.status).toBe(200);
}

async function people(): Promise<{ people: number; ids: number }> {
  const { join, person } = personJoin("e");
  const result = await stack.ch.query({
    query: `SELECT uniqExact(${person}) AS people, uniqExact(e.distinct_id) AS ids FROM events AS e ${join} WHERE e.project_id = {project_id:UUID}`,
    format: "JSONEachRow",
    query_params: { project_id: stack.projectId },
  });
  const [row] = await result.json<{ people: string | number; ids: string | number }>();
  return { people: Number(row!.people), ids: Number(row!.ids) };
}

test("unique people across an anonymous → known merge count 1, unique distinct ids 2", async () => {
  await sendEvents("anon-visitor-a", 3);
  await waitFor("the anonymous events stored", async () => (await stack.stored()).rows === 3);
  expect(await people()).toEqual({ people: 1, ids: 1 });
  await identify(stack, { externalId: "known-u", anonymousId: "anon-visitor-a", traits: { plan: "pro" } });
  await profilesDrained(stack);
  await sendEvents("known-u", 2);
  await waitFor("the known person's events stored", async () => (await stack.stored()).rows === 5);
  await waitFor("the alias in the mirror", async () => (await people()).people === 1, 10_000).catch(() => {});
  expect(await people()).toEqual({ people: 1, ids: 2 });

  // Someone else, never identified, stays a person of their own.
  await sendEvents("anon-visitor-b", 1);
  await waitFor("the other visitor's event stored", async () => (await stack.stored()).rows === 6);
  expect(await people()).toEqual({ people: 2, ids: 3 });
});

test("an erased person's identify call is dropped (no rows, no dead letter); an erased anonymous id is applied without link", async () => {
  const [request] = await sql<{ id: string }[]>`INSERT INTO deletion_requests (project_id, external_id, status) VALUES (${stack.projectId}, 'erased-p', 'processing') RETURNING id`;
  await sql`INSERT INTO erasure_tombstones (project_id, distinct_id, request_id) VALUES
    (${stack.projectId}, 'erased-p', ${request!.id}), (${stack.projectId}, 'anon-erased', ${request!.id})`;
  await Bun.sleep(1_200); // the writers' tombstone snapshot is at most a second old
  const dlq = stack.nats.names.stream("profiles_dlq");
  const letters = (await stack.nats.jsm.streams.info(dlq)).state.messages;

  await identify(stack, { externalId: "erased-p", anonymousId: "anon-x", traits: { email: "gone@x.io" } });
  await identify(stack, { externalId: "kept-p", anonymousId: "anon-erased", traits: { plan: "pro" } });
  await profilesDrained(stack);

  const profiles = await pgProfiles(sql, stack.projectId);
  expect(profiles.filter((p) => p.external_id === "erased-p")).toEqual([]);
  expect(profiles.find((p) => p.external_id === "kept-p")?.traits).toEqual({ plan: "pro" });
  expect((await pgAliases(sql, stack.projectId)).map((a) => a.alias_id)).not.toContain("anon-erased");
  expect((await pgAliases(sql, stack.projectId)).map((a) => a.alias_id)).not.toContain("anon-x");
  expect((await stack.nats.jsm.streams.info(dlq)).state.messages).toBe(letters);
  const result = await stack.ch.query({ query: "SELECT count() AS n FROM profiles WHERE external_id = 'erased-p'", format: "JSONEachRow" });
  expect(Number((await result.json<{ n: string }>())[0]!.n)).toBe(0);
});
