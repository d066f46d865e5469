// ProfilesService and the profile parts of ActivityService through a stock Connect client (JSON and binary)
// against a running `pug server`, with people seeded in Postgres and events in ClickHouse.

import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErasureRequestedSchema } from "../../src/gen/internal/compliance/v1/compliance_pb.ts";
import { ProfileRefreshSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { ComplianceRequestStatus, type Profile } from "../../src/gen/shared/profiles/v1/profiles_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { seedEvents, seedProfiles, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
let sql: Sql;
let other: CreatedProject;
const ids: Record<string, string | undefined> = {};
const DAY = 86_400_000;
// The latest event a minute ago; the others whole days before it (so they land on the days the heatmap shows).
// Minutes before one of them stay on its day: just after midnight, the latest is moved to the day before.
const sinceMidnight = (Date.now() - 60_000) % DAY;
const latest = Date.now() - 60_000 - (sinceMidnight < 600_000 ? sinceMidnight + 1000 : 0);
const at = (daysAgo: number, minute = 0) => new Date(latest - daysAgo * DAY - minute * 60_000);

beforeAll(async () => {
  stack = await ingestStack("profiles_api");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  other = await createProject(sql, "other project");
  const a = stack.projectId;
  [ids.alice, ids.carol, ids.gone, ids.delJson, ids.delBinary] = await seedProfiles(sql, a, [
    { externalId: "alice", traits: { plan: "pro", seats: 3, beta: true, nested: { x: [1, "y", null] } }, aliases: ["anon-a1", "anon-a2"], ageSeconds: 10 },
    { externalId: "carol", traits: { plan: "free" }, ageSeconds: 20 },
    { externalId: "gone", deleted: true, ageSeconds: 30 },
    { externalId: "delete-me-json", ageSeconds: 40 },
    { externalId: "delete-me-binary", ageSeconds: 50 },
  ]);
  [ids.bAlice] = await seedProfiles(sql, other.projectId, [{ externalId: "alice", traits: { plan: "other project's alice" } }]);
  await seedEvents(stack.ch, [
    { project_id: a, distinct_id: "alice", occurred_at: at(2), session_id: "s1", browser: "Firefox" },
    { project_id: a, distinct_id: "alice", occurred_at: at(1), kind: "page_view", session_id: "s1", browser: "Firefox" },
    { project_id: a, distinct_id: "anon-a1", occurred_at: at(5), kind: "page_view", session_id: "s0", browser: "Safari" },
    { project_id: a, distinct_id: "anon-a1", occurred_at: at(1, 5), session_id: "s2" },
    // The latest event of the person gives the client facts.
    { project_id: a, distinct_id: "anon-a2", occurred_at: at(0), session_id: "s3", browser: "Chrome", browser_version: "126", os: "Mac OS X", os_version: "14", device_type: "desktop", country: "DE", region: "BE", city: "Berlin" },
    { project_id: a, distinct_id: "anon-visitor", occurred_at: at(3), kind: "page_view", session_id: "v1", country: "FR" },
    { project_id: a, distinct_id: "anon-visitor", occurred_at: at(3, 1), session_id: "v1", country: "FR" },
    // Not anyone's: cookieless events, and the other project's events under the same ids.
    { project_id: a, distinct_id: "alice", occurred_at: at(0), cookieless: true, browser: "Cookieless" },
    { project_id: other.projectId, distinct_id: "anon-a1", occurred_at: at(0), browser: "Other project" },
  ]);
  // Keys of a project made after the server started work once its snapshot caught up (about a second).
  const probe = sharedClients(stack.baseUrl, false).profiles;
  await waitFor("the other project's key to work", () => probe.getByExternalId({ externalId: "alice" }, withKey(other.privateKey)).then(() => true, () => false));
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const formats = [["JSON", false], ["binary", true]] as const;
const codeOf = (promise: Promise<unknown>) => promise.then(() => "ok", (error) => (error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : String(error)));

describe.each(formats)("profiles API in %s", (format, binary) => {
  const api = () => sharedClients(stack.baseUrl, binary);
  const key = () => withKey(stack.privateKey);

  const expectAlice = (profile: Profile | undefined) => {
    expect(profile?.id).toBe(ids.alice);
    expect(profile?.projectId).toBe(stack.projectId);
    expect(profile?.externalId).toBe("alice");
    expect(profile?.properties).toEqual({ plan: "pro", seats: 3, beta: true, nested: { x: [1, "y", null] } });
    expect(timestampDate(profile!.createTime!).getTime()).toBeLessThan(Date.now());
    const activity = profile!.activity!;
    // Merged over alice, anon-a1 and anon-a2: five events, two page views, sessions s0–s3; not the cookieless one.
    expect({ total: activity.totalEvents, pageviews: activity.pageviews, sessions: activity.sessions }).toEqual({ total: 5n, pageviews: 2n, sessions: 4n });
    expect(timestampDate(activity.firstSeen!).getTime()).toBe(at(5).getTime());
    expect(timestampDate(activity.lastSeen!).getTime()).toBe(at(0).getTime());
    expect([activity.browser, activity.browserVersion, activity.os, activity.osVersion, activity.device, activity.country, activity.region, activity.city]).toEqual(["Chrome", "126", "Mac OS X", "14", "desktop", "DE", "BE", "Berlin"]);
  };

  test("Get and GetByExternalId return the profile with its traits and its activity across aliases", async () => {
    expectAlice((await api().profiles.get({ id: ids.alice }, key())).profile);
    expectAlice((await api().profiles.getByExternalId({ externalId: "alice" }, key())).profile);
    const carol = (await api().profiles.get({ id: ids.carol }, key())).profile;
    expect(carol?.properties).toEqual({ plan: "free" });
    expect(carol?.activity).toBeUndefined();
  });

  test("Get: unknown, deleted and malformed ids", async () => {
    expect(await codeOf(api().profiles.get({ id: crypto.randomUUID() }, key()))).toStartWith("NotFound");
    expect(await codeOf(api().profiles.get({ id: ids.gone! }, key()))).toStartWith("NotFound");
    expect(await codeOf(api().profiles.getByExternalId({ externalId: "gone" }, key()))).toStartWith("NotFound");
    expect(await codeOf(api().profiles.get({ id: "42" }, key()))).toBe("InvalidArgument: id: not a profile id (a UUID)");
    expect(await codeOf(api().profiles.getByExternalId({ externalId: "" }, key()))).toBe("InvalidArgument: external_id: required");
  });

  test("List streams live profiles newest first with their activity", async () => {
    const pages = [];
    for await (const page of api().profiles.list({}, key())) pages.push(page);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.nextPageToken).toBe("");
    expect(pages[0]!.profiles.map((p) => p.externalId).filter((e) => !e.startsWith("delete-me"))).toEqual(["alice", "carol"]);
    expectAlice(pages[0]!.profiles[0]);
  });

  test("GetProfileStats and GetActivityHeatmap follow aliases; an anonymous visitor answers from its own rows", async () => {
    for (const distinctId of ["alice", "anon-a1"]) {
      const stats = await api().activity.getProfileStats({ distinctId }, key());
      expect(stats.stats?.totalEvents).toBe(5n);
      expect([stats.stats?.browser, stats.stats?.device, stats.stats?.country, stats.stats?.city]).toEqual(["Chrome", "desktop", "DE", "Berlin"]);
      expect(stats.properties).toEqual({ plan: "pro", seats: 3, beta: true, nested: { x: [1, "y", null] } });
      const day = (n: number) => at(n).toISOString().slice(0, 10);
      const expected = [[day(5), 1n], [day(2), 1n], [day(1), 2n], [day(0), 1n]].sort(([x], [y]) => String(x).localeCompare(String(y)));
      expect(stats.heatmap.map((d) => [d.date, d.count])).toEqual(expected);
      expect((await api().activity.getActivityHeatmap({ distinctId }, key())).days.map((d) => [d.date, d.count])).toEqual(expected);
    }
    const visitor = await api().activity.getProfileStats({ distinctId: "anon-visitor" }, key());
    expect([visitor.stats?.totalEvents, visitor.stats?.country, visitor.properties]).toEqual([2n, "FR", undefined]);
    const nobody = await api().activity.getProfileStats({ distinctId: "anon-never-seen" }, key());
    expect([nobody.stats, nobody.heatmap, nobody.properties]).toEqual([undefined, [], undefined]);
    // A window that leaves out the oldest day.
    const window = { from: { seconds: BigInt(Math.floor((at(4).getTime()) / 1000)), nanos: 0 }, to: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 } };
    expect((await api().activity.getActivityHeatmap({ distinctId: "alice", timeRange: window }, key())).days.reduce((sum, d) => sum + d.count, 0n)).toBe(4n);
    expect(await codeOf(api().activity.getActivityHeatmap({ distinctId: "alice", timeRange: { from: window.to, to: window.from } }, key()))).toBe("InvalidArgument: time_range: from must be before to");
    expect(await codeOf(api().activity.getProfileStats({ distinctId: "" }, key()))).toBe("InvalidArgument: distinct_id: required");
  });

  test("Delete erases the person (a deletion request, queued) and hides the profile at once", async () => {
    const id = binary ? ids.delBinary! : ids.delJson!;
    const [before] = await sql<{ version: string; external_id: string }[]>`SELECT version::text, external_id FROM profiles WHERE id = ${id}`;
    const reply = await api().profiles.delete({ id }, key());
    expect(reply.status).toBe(ComplianceRequestStatus.PENDING);
    const [after] = await sql<{ deleted: boolean; version: string }[]>`SELECT deleted_at IS NOT NULL AS deleted, version::text FROM profiles WHERE id = ${id}`;
    expect(after!.deleted).toBe(true);
    expect(BigInt(after!.version)).toBeGreaterThan(BigInt(before!.version));
    expect(await refreshesFor(id)).toEqual([{ projectId: stack.projectId, profileId: id }]);
    const request = await api().profiles.getDeletionRequest({ requestId: reply.requestId }, key());
    expect([request.externalId, request.profileId, request.status]).toEqual([before!.external_id, id, ComplianceRequestStatus.PENDING]);
    expect(await erasuresQueued()).toContainEqual({ requestId: reply.requestId, projectId: stack.projectId });
    expect(await codeOf(api().profiles.get({ id }, key()))).toStartWith("NotFound");
    expect(await codeOf(api().profiles.delete({ id }, key()))).toStartWith("NotFound");
  });

  test("DeleteDataSubject records and queues an erasure; GetDeletionRequest reports it", async () => {
    const requestedAt = Date.now();
    const reply = await api().profiles.deleteDataSubject({ externalId: "alice" }, key());
    expect(reply.status).toBe(ComplianceRequestStatus.PENDING);
    const request = await api().profiles.getDeletionRequest({ requestId: reply.requestId }, key());
    expect([request.requestId, request.externalId, request.profileId, request.status, request.eventsIdentified, request.completedAt, request.error])
      .toEqual([reply.requestId, "alice", ids.alice!, ComplianceRequestStatus.PENDING, 0n, undefined, ""]);
    expect(Math.abs(timestampDate(request.requestedAt!).getTime() - requestedAt)).toBeLessThan(5_000);
    expect(await erasuresQueued()).toContainEqual({ requestId: reply.requestId, projectId: stack.projectId });
    const tombstoned = await sql<{ distinct_id: string }[]>`SELECT distinct_id FROM erasure_tombstones WHERE request_id = ${reply.requestId} ORDER BY 1`;
    expect(tombstoned.map((row) => row.distinct_id)).toContain("alice");
    for (const externalId of ["", "cookieless-abc", "x".repeat(256)]) {
      expect(await codeOf(api().profiles.deleteDataSubject({ externalId }, key()))).toStartWith("InvalidArgument");
    }
    expect(await codeOf(api().profiles.getDeletionRequest({ requestId: crypto.randomUUID() }, key()))).toStartWith("NotFound");
    expect(await codeOf(api().profiles.getDeletionRequest({ requestId: "" }, key()))).toStartWith("InvalidArgument");
  });

  test("a key of another project never sees this project's profiles, for every method", async () => {
    const b = withKey(other.privateKey);
    expect(await codeOf(api().profiles.get({ id: ids.alice! }, b))).toStartWith("NotFound");
    expect(await codeOf(api().profiles.get({ id: ids.carol! }, b))).toStartWith("NotFound");
    // The same external id names the other project's own person.
    const bAlice = (await api().profiles.getByExternalId({ externalId: "alice" }, b)).profile!;
    expect([bAlice.id, bAlice.projectId, bAlice.properties, bAlice.activity]).toEqual([ids.bAlice!, other.projectId, { plan: "other project's alice" }, undefined]);
    expect(await codeOf(api().profiles.getByExternalId({ externalId: "carol" }, b))).toStartWith("NotFound");
    const listed = [];
    for await (const page of api().profiles.list({}, b)) listed.push(...page.profiles.map((p) => [p.id, p.projectId]));
    expect(listed).toEqual([[ids.bAlice!, other.projectId]]);
    expect(await codeOf(api().profiles.delete({ id: ids.carol! }, b))).toStartWith("NotFound");
    expect((await sql`SELECT 1 FROM profiles WHERE id = ${ids.carol!} AND deleted_at IS NULL`).length).toBe(1);
    expect(await refreshesFor(ids.carol!)).toEqual([]);
    const request = await api().profiles.deleteDataSubject({ externalId: "carol" }, key());
    expect(await codeOf(api().profiles.getDeletionRequest({ requestId: request.requestId }, b))).toStartWith("NotFound");
    // Stats by this project's ids: the other project's alice has no events, and anon-a1 is not its alias there.
    const stats = await api().activity.getProfileStats({ distinctId: "alice" }, b);
    expect([stats.stats, stats.heatmap, stats.properties]).toEqual([undefined, [], { plan: "other project's alice" }]);
    const alias = await api().activity.getProfileStats({ distinctId: "anon-a1" }, b);
    expect([alias.stats?.totalEvents, alias.stats?.browser, alias.properties]).toEqual([1n, "Other project", undefined]);
    expect((await api().activity.getActivityHeatmap({ distinctId: "alice" }, b)).days).toEqual([]);
  });
});

/** The erasures queued on the compliance stream. */
async function erasuresQueued(): Promise<{ requestId: string; projectId: string }[]> {
  const found = [];
  const stream = stack.nats.names.stream("compliance");
  const { state } = await stack.nats.jsm.streams.info(stream);
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await stack.nats.jsm.streams.getMessage(stream, { seq }); // null for a gap (deleted)
    if (!message) continue;
    const erasure = fromBinary(ErasureRequestedSchema, message.data);
    found.push({ requestId: erasure.requestId, projectId: erasure.projectId });
  }
  return found;
}

/** The ProfileRefresh messages queued for one profile. */
async function refreshesFor(profileId: string): Promise<{ projectId: string; profileId: string }[]> {
  const found = [];
  const stream = stack.nats.names.stream("profiles");
  const { state } = await stack.nats.jsm.streams.info(stream);
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await stack.nats.jsm.streams.getMessage(stream, { seq }); // null for a gap (deleted)
    if (!message || message.subject !== stack.nats.names.subject("profiles", "refresh")) continue;
    const refresh = fromBinary(ProfileRefreshSchema, message.data);
    if (refresh.profileId === profileId) found.push({ projectId: refresh.projectId, profileId: refresh.profileId });
  }
  return found;
}
