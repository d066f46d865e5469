// The profile worker's identify semantics end to end: calls sent over the SDK's wire, applied to Postgres and
// mirrored to ClickHouse by `pug worker profile`.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { IdentifyCallSchema, ProfileRefreshSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { IdentifyRequestSchema } from "../../src/gen/sdk/profiles/v1/profiles_pb.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import type { IngestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { expectMirrorEqualsPostgres, identify, mirror, pgAliases, pgProfiles, profilesDrained, type ProfileStack, profileStack } from "../support/profile-stack.ts";

let profile: ProfileStack;
let stack: IngestStack;
let sql: Sql;

beforeAll(async () => {
  profile = await profileStack("identify");
  ({ stack, sql } = profile);
}, 60_000);

afterAll(() => profile?.stop());

const live = async (externalId: string) => {
  const rows = (await pgProfiles(sql, stack.projectId)).filter((row) => row.external_id === externalId && row.deleted_at === null);
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
};

/** Sends calls one after the other (each queued before the next), then waits until they are written. */
async function send(...calls: Parameters<typeof identify>[1][]): Promise<void> {
  for (const call of calls) await identify(stack, call);
  await profilesDrained(stack);
}


async function publish(subject: string, data: Uint8Array): Promise<number> {
  return (await stack.nats.js.publish(stack.nats.names.subject("profiles", subject), data, { msgID: crypto.randomUUID() })).seq;
}

async function deadLetter(sourceSeq: number): Promise<{ reason: string; detail: string }> {
  const dlq = stack.nats.names.stream("profiles_dlq");
  let found: { reason: string; detail: string } | undefined;
  await waitFor(`message ${sourceSeq} dead-lettered`, async () => {
    const info = await stack.nats.jsm.streams.info(dlq);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await stack.nats.jsm.streams.getMessage(dlq, { seq });
      if (message?.header.get("Pug-Source-Seq") === String(sourceSeq)) found = { reason: message.header.get("Pug-Reason"), detail: message.header.get("Pug-Detail") };
    }
    return found !== undefined;
  });
  return found!;
}

describe("merge paths", () => {
  test("a new person: one live profile with the traits sent ($ip never stored), mirrored", async () => {
    await send({ externalId: "new-user", traits: { name: "Ada", seats: 3, admin: true, $ip: "81.2.69.160" } });
    const row = await live("new-user");
    expect(row?.traits).toEqual({ name: "Ada", seats: 3, admin: true });
    expect(Object.keys(row!.trait_times).sort()).toEqual(["admin", "name", "seats"]);
    await expectMirrorEqualsPostgres(profile);
    const [mirrored] = (await mirror(stack)).profiles.filter((p) => (p as { external_id: string }).external_id === "new-user") as Record<string, unknown>[];
    expect(mirrored).toMatchObject({ property_texts: { name: "Ada", seats: "3", admin: "true" }, property_numbers: { seats: 3 }, property_types: { seats: 2, admin: 4 }, is_deleted: 0 });
  });

  test("an existing person updated: same profile, the call's keys win, the others stay", async () => {
    await send({ externalId: "existing", traits: { plan: "free", seats: 1 } });
    const before = await live("existing");
    await send({ externalId: "existing", traits: { plan: "pro", email: "e@x.io" } });
    const after = await live("existing");
    expect(after!.id).toBe(before!.id);
    expect(after!.traits).toEqual({ plan: "pro", seats: 1, email: "e@x.io" });
    expect(Number(after!.version)).toBeGreaterThan(Number(before!.version));
    await expectMirrorEqualsPostgres(profile);
  });

  test("anonymous merge: the anonymous profile's traits join the person (theirs win), it is soft-deleted, the alias recorded", async () => {
    await send({ externalId: "anon-merge-1", traits: { utm: "spring", plan: "free", visits: 4 } });
    await send({ externalId: "merger", traits: { plan: "pro" } });
    await send({ externalId: "merger", anonymousId: "anon-merge-1", traits: { email: "m@x.io" } });
    const person = await live("merger");
    expect(person!.traits).toEqual({ plan: "pro", email: "m@x.io", utm: "spring", visits: 4 });
    expect(await live("anon-merge-1")).toBeUndefined();
    const merged = (await pgProfiles(sql, stack.projectId)).find((row) => row.external_id === "anon-merge-1")!;
    expect(merged.deleted_at).not.toBeNull();
    expect(merged.merged_into).toBe(person!.id);
    expect((await pgAliases(sql, stack.projectId)).filter((a) => a.alias_id === "anon-merge-1").map((a) => a.profile_id)).toEqual([person!.id]);
    await expectMirrorEqualsPostgres(profile);
    const mirrored = await mirror(stack);
    expect(mirrored.aliases).toContainEqual(expect.objectContaining({ alias_id: "anon-merge-1", external_id: "merger", is_deleted: 0 }));
    expect(mirrored.profiles).toContainEqual(expect.objectContaining({ external_id: "anon-merge-1", is_deleted: 1 }));
  });

  test("an anonymous id identified after it was linked gives its traits to the person, who keeps theirs; no live anonymous profile appears", async () => {
    await send({ externalId: "late", traits: { plan: "pro" }, anonymousId: "anon-late" });
    await send({ externalId: "anon-late", traits: { plan: "free", referrer: "ad" } });
    expect(await live("anon-late")).toBeUndefined();
    expect((await live("late"))!.traits).toEqual({ plan: "pro", referrer: "ad" });
    await expectMirrorEqualsPostgres(profile);
  });

  test("identified-into-identified is refused: the alias stays with its person, the other is still updated", async () => {
    await send({ externalId: "owner-v", anonymousId: "anon-shared", traits: { name: "V" } });
    await send({ externalId: "other-u", anonymousId: "anon-shared", traits: { name: "U" } });
    const v = await live("owner-v");
    const u = await live("other-u");
    expect(u!.traits).toEqual({ name: "U" });
    expect(v!.traits).toEqual({ name: "V" });
    expect((await pgAliases(sql, stack.projectId)).filter((a) => a.alias_id === "anon-shared").map((a) => a.profile_id)).toEqual([v!.id]);
    await expectMirrorEqualsPostgres(profile);
  });

  test("an anonymous target takes no alias", async () => {
    await send({ externalId: "anon-target", anonymousId: "anon-other", traits: { x: 1 } });
    expect((await live("anon-target"))!.traits).toEqual({ x: 1 });
    expect((await pgAliases(sql, stack.projectId)).map((a) => a.alias_id)).not.toContain("anon-other");
  });
});

describe("dead letters", () => {
  const crafted = (externalId: string, anonymousId = "", projectId = stack.projectId) =>
    toBinary(IdentifyCallSchema, create(IdentifyCallSchema, { projectId, receivedAt: timestampFromMs(Date.now()), request: create(IdentifyRequestSchema, { externalId, anonymousId, traits: { a: 1 } }) }));

  test("a cookieless external id queued straight to the stream is dead-lettered as invalid_identify, and stores nothing", async () => {
    const seq = await publish("identify", crafted("cookieless-abc"));
    const letter = await deadLetter(seq);
    expect(letter.reason).toBe("invalid_identify");
    expect(letter.detail).toContain('external_id: must not start with "cookieless-"');
    expect(await live("cookieless-abc")).toBeUndefined();
  });

  test("a cookieless anonymous id is dead-lettered too", async () => {
    const seq = await publish("identify", crafted("someone", "cookieless-abc"));
    expect((await deadLetter(seq)).reason).toBe("invalid_identify");
    expect(await live("someone")).toBeUndefined();
  });

  test("undecodable bytes, an unknown project, an unknown subject: each dead-lettered with its reason", async () => {
    expect((await deadLetter(await publish("identify", new Uint8Array([0xff, 0xff, 0xff])))).reason).toBe("undecodable");
    expect((await deadLetter(await publish("identify", crafted("ghost", "", crypto.randomUUID())))).reason).toBe("unknown_project");
    expect((await deadLetter(await publish("bogus", crafted("bogus-subject"))))).toMatchObject({ reason: "unknown_subject" });
    expect(await live("ghost")).toBeUndefined();
  });

  test("a NUL character is refused at intake, naming the trait", async () => {
    const response = await fetch(stack.baseUrl + "/sdk.profiles.v1.ProfilesSDKService/Identify", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": stack.publicKey },
      body: JSON.stringify({ externalId: "nul", traits: { bio: "a\u0000b" } }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('traits[\\"bio\\"]: must not contain NUL characters');
  });

  test("a NUL character queued by an older server is dead-lettered by the worker's own check, before Postgres", async () => {
    const data = toBinary(IdentifyCallSchema, create(IdentifyCallSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(Date.now()), request: create(IdentifyRequestSchema, { externalId: "nul-user", traits: { bio: "a\u0000b" } }) }));
    expect((await deadLetter(await publish("identify", data))).reason).toBe("invalid_identify");
    expect(await live("nul-user")).toBeUndefined();
  });
});

describe("precedence and replay", () => {
  test("trait precedence follows receive time, whatever order the calls are applied in", async () => {
    const at = (ms: number, traits: Record<string, string>) =>
      toBinary(IdentifyCallSchema, create(IdentifyCallSchema, { projectId: stack.projectId, receivedAt: timestampFromMs(ms), request: create(IdentifyRequestSchema, { externalId: "ordered", traits }) }));
    const t = Date.now();
    // Queued newest first: the older call must not overwrite what the newer one set.
    await publish("identify", at(t + 2_000, { plan: "pro", email: "new@x.io" }));
    await publish("identify", at(t + 1_000, { plan: "free", seats: "1" }));
    await profilesDrained(stack);
    const row = await live("ordered");
    expect(row!.traits).toEqual({ plan: "pro", email: "new@x.io", seats: "1" });
    expect(row!.trait_times).toEqual({ plan: t + 2_000, email: t + 2_000, seats: t + 1_000 });
  });

  test("the same message applied twice changes nothing (rows compared in full, versions included)", async () => {
    const call = toBinary(IdentifyCallSchema, create(IdentifyCallSchema, {
      projectId: stack.projectId,
      receivedAt: timestampFromMs(Date.now()),
      request: create(IdentifyRequestSchema, { externalId: "replayed", anonymousId: "anon-replayed", traits: { plan: "pro", n: 2 } }),
    }));
    await send({ externalId: "anon-replayed", traits: { utm: "x" } });
    await publish("identify", call);
    await profilesDrained(stack);
    const profiles = await pgProfiles(sql, stack.projectId);
    const aliases = await pgAliases(sql, stack.projectId);
    await expectMirrorEqualsPostgres(profile);
    const mirrored = await mirror(stack);
    await publish("identify", call);
    await profilesDrained(stack);
    expect(await pgProfiles(sql, stack.projectId)).toEqual(profiles);
    expect(await pgAliases(sql, stack.projectId)).toEqual(aliases);
    expect(await mirror(stack)).toEqual(mirrored);
  });

  test("a refresh rewrites a profile deleted elsewhere as deleted rows, its aliases hidden", async () => {
    await send({ externalId: "to-delete", anonymousId: "anon-to-delete", traits: { a: 1 } });
    const row = await live("to-delete");
    await sql`UPDATE profiles SET deleted_at = now(), version = nextval('identity_version') WHERE id = ${row!.id}`;
    await publish("refresh", toBinary(ProfileRefreshSchema, create(ProfileRefreshSchema, { projectId: stack.projectId, profileId: row!.id })));
    await profilesDrained(stack);
    await expectMirrorEqualsPostgres(profile);
    const mirrored = await mirror(stack);
    expect(mirrored.profiles).toContainEqual(expect.objectContaining({ external_id: "to-delete", is_deleted: 1 }));
    expect(mirrored.aliases).toContainEqual(expect.objectContaining({ alias_id: "anon-to-delete", is_deleted: 1 }));
  });

  test("a refresh queued before the delete commits (as the API does) still mirrors the delete", async () => {
    await send({ externalId: "delete-in-flight", traits: { a: 1 } });
    const row = await live("delete-in-flight");
    await sql.begin(async (tx) => {
      await tx`UPDATE profiles SET deleted_at = now(), version = nextval('identity_version') WHERE id = ${row!.id}`;
      await publish("refresh", toBinary(ProfileRefreshSchema, create(ProfileRefreshSchema, { projectId: stack.projectId, profileId: row!.id })));
      await Bun.sleep(1_000); // the worker has the refresh by now, and must wait for this commit
    });
    await profilesDrained(stack);
    await expectMirrorEqualsPostgres(profile, 1_000);
    expect((await mirror(stack)).profiles).toContainEqual(expect.objectContaining({ external_id: "delete-in-flight", is_deleted: 1 }));
  });
});
