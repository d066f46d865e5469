// dashboard.projects.v1.ProjectsService against a running `pug server`, on the dashboard's own transport (Connect
// JSON): each call's answer and rows, partial UpdateMeta, API keys that work for the SDK once created and stop
// within 5 s once deleted, soft delete stopping ingestion, and another project's key ids not found.

import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiKeyHash } from "../../src/domain/api-keys.ts";
import { ApiKeyKind } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { type DashboardClients, dashboardClients, refusal, inProject, type Person, seedOrg, seedPerson } from "../support/dashboard-people.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";

let stack: IngestStack;
let sql: Sql;
let api: DashboardClients;
let ada: Person, vic: Person, eve: Person;
/** Ada's org (ada admin, vic viewer) and Eve's (eve admin). */
let orgA: string, orgB: string;

beforeAll(async () => {
  stack = await ingestStack("api_projects");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  api = dashboardClients(stack.baseUrl);
  ada = await seedPerson(sql, "ada@example.com");
  vic = await seedPerson(sql, "vic@example.com");
  eve = await seedPerson(sql, "eve@example.com");
  orgA = await seedOrg(sql, "A", [[ada, "admin"], [vic, "viewer"]]);
  orgB = await seedOrg(sql, "B", [[eve, "admin"]]);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});


const projectRow = async (id: string) =>
  (await sql<{ org_id: string; name: string; reporting_timezone: string; retention_days: number; deleted_at: Date | null }[]>`
    SELECT org_id, name, reporting_timezone, retention_days, deleted_at FROM projects WHERE id = ${id}`)[0]!;

const newProject = async (person: Person, orgId: string, displayName: string) =>
  (await api.projects.create({ orgId, displayName }, { headers: person.headers })).project!.id;

/** The SDK's BatchCreate with `key`: its HTTP status. */
const send = async (key: string, projectId: string) => (await sdkRequest(stack.baseUrl, key, batchBody([sdkEvent(projectId)]))).status;

describe("projects", () => {
  test("Create stores the project with its zone and retention, and creates no keys", async () => {
    const { project } = await api.projects.create({ orgId: orgA, displayName: " Shop ", reportingTimezone: "europe/berlin", retentionDays: 90 }, { headers: ada.headers });
    expect(project).toMatchObject({ orgId: orgA, displayName: "Shop", reportingTimezone: "Europe/Berlin", retentionDays: 90, fcmServiceJson: "" });
    expect(await projectRow(project!.id)).toEqual({ org_id: orgA, name: "Shop", reporting_timezone: "Europe/Berlin", retention_days: 90, deleted_at: null });
    expect(await sql`SELECT id FROM api_keys WHERE project_id = ${project!.id}`).toHaveLength(0);

    const plain = (await api.projects.create({ orgId: orgA, displayName: "Blog" }, { headers: ada.headers })).project!;
    expect(plain).toMatchObject({ displayName: "Blog", reportingTimezone: "UTC", retentionDays: 0 });
  });

  test.each([
    ["no name", { displayName: "" }, "InvalidArgument: display_name: required"],
    ["an unknown zone", { displayName: "x", reportingTimezone: "Mars/Base" }, "InvalidArgument: reporting_timezone: 'Mars/Base' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)"],
    ["a fixed offset", { displayName: "x", reportingTimezone: "+02:00" }, "InvalidArgument: reporting_timezone: '+02:00' is a fixed offset; name an IANA time zone (e.g. Europe/Berlin, UTC)"],
    ["a retention beyond 100 years", { displayName: "x", retentionDays: 36_501 }, "InvalidArgument: retention_days: 0 (keep events for ever) to 36500 days, got 36501"],
    ["a negative retention", { displayName: "x", retentionDays: -1 }, "InvalidArgument: retention_days: 0 (keep events for ever) to 36500 days, got -1"],
  ])("Create refuses %s", async (_, request, expected) => {
    const before = (await sql`SELECT id FROM projects`).length;
    expect(await refusal(api.projects.create({ orgId: orgA, ...request }, { headers: ada.headers }))).toBe(expected);
    expect(await sql`SELECT id FROM projects`).toHaveLength(before);
  });

  test("BatchGet lists the org's live projects only; Get answers the x-project-id project", async () => {
    const mine = await newProject(eve, orgB, "Eve's first");
    const second = await newProject(eve, orgB, "Eve's second");
    await sql`UPDATE projects SET deleted_at = now() WHERE id = ${second}`;
    const { projects } = await api.projects.batchGet({ orgId: orgB }, { headers: eve.headers });
    expect(projects.map((p) => [p.id, p.displayName])).toEqual([[mine, "Eve's first"]]);
    expect((await api.projects.get({}, inProject(eve, mine))).project).toMatchObject({ id: mine, orgId: orgB, displayName: "Eve's first", reportingTimezone: "UTC" });
    expect(await refusal(api.projects.get({}, inProject(ada, mine)))).toBe("Unauthenticated: no such project among your orgs' projects");
  });

  test("UpdateMeta changes only the fields present", async () => {
    const id = await newProject(ada, orgA, "Meta");
    const as = inProject(ada, id);
    expect((await api.projects.updateMeta({ displayName: "Renamed" }, as)).project).toMatchObject({ displayName: "Renamed", reportingTimezone: "UTC", retentionDays: 0 });
    expect((await api.projects.updateMeta({ reportingTimezone: "America/New_York" }, as)).project).toMatchObject({ displayName: "Renamed", reportingTimezone: "America/New_York", retentionDays: 0 });
    expect((await api.projects.updateMeta({ retentionDays: 30 }, as)).project).toMatchObject({ displayName: "Renamed", reportingTimezone: "America/New_York", retentionDays: 30 });
    expect((await api.projects.updateMeta({}, as)).project).toMatchObject({ displayName: "Renamed", reportingTimezone: "America/New_York", retentionDays: 30 });
    expect(await projectRow(id)).toMatchObject({ name: "Renamed", reporting_timezone: "America/New_York", retention_days: 30 });

    expect(await refusal(api.projects.updateMeta({ displayName: "Ok", reportingTimezone: "Nowhere" }, as))).toBe(
      "InvalidArgument: reporting_timezone: 'Nowhere' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)",
    );
    expect(await refusal(api.projects.updateMeta({ displayName: "" }, as))).toBe("InvalidArgument: display_name: required");
    expect(await projectRow(id)).toMatchObject({ name: "Renamed", reporting_timezone: "America/New_York", retention_days: 30 });
    expect(await refusal(api.projects.updateMeta({ displayName: "Viewer's" }, inProject(vic, id)))).toBe("PermissionDenied: this needs the admin role in the org; you are a viewer");
  });

  test("UpdateFCMServiceJSON: only empty is accepted, as this server sends no push notifications", async () => {
    const id = await newProject(ada, orgA, "Push");
    expect(await refusal(api.projects.updateFCMServiceJSON({ fcmServiceJson: "" }, inProject(ada, id)))).toBe("ok");
    expect(await refusal(api.projects.updateFCMServiceJSON({ fcmServiceJson: '{"type":"service_account"}' }, inProject(ada, id)))).toBe(
      "FailedPrecondition: push notifications are not part of this server; fcm_service_json can only be empty",
    );
    expect((await api.projects.get({}, inProject(ada, id))).project!.fcmServiceJson).toBe("");
  });
});

describe("API keys", () => {
  test("a created key is listed, works for the SDK within 5 s, and is refused within 5 s once deleted", async () => {
    const id = await newProject(ada, orgA, "Keys");
    const as = inProject(ada, id);
    const web = await api.projects.createApiKey({ kind: ApiKeyKind.PUBLIC, displayName: "website" }, as);
    const server = await api.projects.createApiKey({ kind: ApiKeyKind.PRIVATE, displayName: "backend" }, as);
    expect(web.key).toMatch(/^pub_[0-9a-f]{32}$/);
    expect(server.key).toMatch(/^prv_[0-9a-f]{32}$/);
    expect(web.apiKey).toMatchObject({ kind: ApiKeyKind.PUBLIC, displayName: "website", key: web.key, masked: `${web.key.slice(0, 8)}…${web.key.slice(-4)}` });
    expect(server.apiKey).toMatchObject({ kind: ApiKeyKind.PRIVATE, displayName: "backend", key: "", masked: `${server.key.slice(0, 8)}…${server.key.slice(-4)}` });
    expect(Math.abs(timestampDate(web.apiKey!.createTime!).getTime() - Date.now())).toBeLessThan(60_000);
    const rows = await sql<{ id: string; kind: string; label: string; public_key: string | null; key_sha256: Buffer }[]>`
      SELECT id, kind, label, public_key, key_sha256 FROM api_keys WHERE project_id = ${id} ORDER BY created_at`;
    expect(rows.map((r) => [r.id, r.kind, r.label, r.public_key, r.key_sha256.equals(apiKeyHash(r.kind === "public" ? web.key : server.key))])).toEqual([
      [web.apiKey!.id, "public", "website", web.key, true],
      [server.apiKey!.id, "private", "backend", null, true],
    ]);
    const listed = (await api.projects.listApiKeys({}, as)).apiKeys;
    expect(listed.map((k) => [k.id, ApiKeyKind[k.kind], k.displayName, k.key, k.masked])).toEqual([
      [web.apiKey!.id, "PUBLIC", "website", web.key, web.apiKey!.masked],
      [server.apiKey!.id, "PRIVATE", "backend", "", server.apiKey!.masked],
    ]);

    await waitFor("the new public key to be accepted by the SDK endpoint", async () => (await send(web.key, id)) === 200, 5_000);
    await api.projects.deleteApiKey({ id: web.apiKey!.id }, as);
    expect((await sql<{ revoked_at: Date | null }[]>`SELECT revoked_at FROM api_keys WHERE id = ${web.apiKey!.id}`)[0]!.revoked_at).toBeInstanceOf(Date);
    expect((await api.projects.listApiKeys({}, as)).apiKeys.map((k) => k.id)).toEqual([server.apiKey!.id]);
    await waitFor("the deleted key to be refused (401)", async () => (await send(web.key, id)) === 401, 5_000);
    expect(await refusal(api.projects.deleteApiKey({ id: web.apiKey!.id }, as))).toBe("NotFound: no such API key in this project");
  });

  test.each([
    ["no kind", { kind: ApiKeyKind.UNSPECIFIED }, "InvalidArgument: kind: required: API_KEY_KIND_PUBLIC (for web pages; sends events only) or API_KEY_KIND_PRIVATE (for servers)"],
    ["a name of 201 characters", { kind: ApiKeyKind.PUBLIC, displayName: "k".repeat(201) }, "InvalidArgument: display_name: at most 200 characters, got 201"],
  ])("CreateApiKey refuses %s", async (_, request, expected) => {
    const id = await newProject(ada, orgA, "Bad keys");
    expect(await refusal(api.projects.createApiKey(request, inProject(ada, id)))).toBe(expected);
    expect(await sql`SELECT id FROM api_keys WHERE project_id = ${id}`).toHaveLength(0);
  });

  test("another project's key ids are not found, and the key stays live", async () => {
    const mine = await newProject(ada, orgA, "Guarded");
    const { apiKey } = await api.projects.createApiKey({ kind: ApiKeyKind.PRIVATE }, inProject(ada, mine));
    const theirs = await newProject(eve, orgB, "Eve's keys");
    expect(await refusal(api.projects.deleteApiKey({ id: apiKey!.id }, inProject(eve, theirs)))).toBe("NotFound: no such API key in this project");
    expect(await refusal(api.projects.deleteApiKey({ id: crypto.randomUUID() }, inProject(eve, theirs)))).toBe("NotFound: no such API key in this project");
    expect(await refusal(api.projects.deleteApiKey({ id: "nope" }, inProject(eve, theirs)))).toBe("NotFound: no such API key in this project");
    expect(await refusal(api.projects.deleteApiKey({ id: "" }, inProject(eve, theirs)))).toBe("InvalidArgument: id: required");
    expect((await api.projects.listApiKeys({}, inProject(eve, theirs))).apiKeys).toEqual([]);
    expect((await sql<{ revoked_at: Date | null }[]>`SELECT revoked_at FROM api_keys WHERE id = ${apiKey!.id}`)[0]!.revoked_at).toBeNull();
  });
});

describe("soft delete", () => {
  test("Delete marks the project deleted: its keys are refused within 5 s and BatchGet no longer lists it", async () => {
    const id = await newProject(ada, orgA, "Doomed");
    const as = inProject(ada, id);
    const { key } = await api.projects.createApiKey({ kind: ApiKeyKind.PUBLIC }, as);
    await waitFor("the key to be accepted", async () => (await send(key, id)) === 200, 5_000);
    expect(await refusal(api.projects.delete({}, inProject(vic, id)))).toBe("PermissionDenied: this needs the admin role in the org; you are a viewer");

    await api.projects.delete({}, as);
    expect((await projectRow(id)).deleted_at).toBeInstanceOf(Date);
    await waitFor("the deleted project's key to be refused (401)", async () => (await send(key, id)) === 401, 5_000);
    expect((await api.projects.batchGet({ orgId: orgA }, { headers: ada.headers })).projects.map((p) => p.id)).not.toContain(id);
    expect(await refusal(api.projects.get({}, as))).toBe("Unauthenticated: no such project among your orgs' projects");
  });
});
