// ProfilesService.List: streamed pages of 100 on a keyset (ties on created_at included), page tokens, and every
// filter operator on traits of each JSON type, against Postgres through a running `pug server`.

import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PropertySource } from "../../src/gen/common/v1/filter_schema_pb.ts";
import { FilterOperator as Op, LogicalOperator } from "../../src/gen/common/v1/filters_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListRequestSchema } from "../../src/gen/shared/profiles/v1/profiles_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { seedProfiles, sharedClients, withKey } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
let sql: Sql;
let filtered: CreatedProject;

beforeAll(async () => {
  stack = await ingestStack("profiles_list");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  // 250 people, two at a time sharing created_at to the microsecond (the id breaks the tie), and deleted ones
  // that must never show.
  await seedProfiles(sql, stack.projectId, [
    ...Array.from({ length: 250 }, (_, i) => ({ externalId: `user-${String(i).padStart(3, "0")}`, ageSeconds: Math.floor(i / 2) })),
    ...Array.from({ length: 5 }, (_, i) => ({ externalId: `deleted-${i}`, ageSeconds: i * 10, deleted: true })),
  ]);
  filtered = await createProject(sql, "filters");
  await seedProfiles(sql, filtered.projectId, [
    { externalId: "f1", traits: { plan: "pro", seats: 10, beta: true, email: "ann@Example.com", score: 3 } },
    { externalId: "f2", traits: { plan: "free", seats: 2, beta: false, email: "bo@test.io", score: "3" } },
    { externalId: "f3", traits: { plan: "pro", seats: 25.5, tags: ["a"], score: 3.0 } },
    { externalId: "f4", traits: {} },
    { externalId: "f5", traits: { plan: "enterprise", seats: "10", beta: "true", nothing: null } },
  ]);
  const probe = sharedClients(stack.baseUrl, false).profiles;
  await waitFor("the filters project's key to work", () => probe.get({ id: crypto.randomUUID() }, withKey(filtered.privateKey)).then(() => true, (e) => e instanceof ConnectError && e.code === Code.NotFound));
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

type ListInit = MessageInitShape<typeof ListRequestSchema>;

async function pages(request: ListInit, key: string, binary = false) {
  const result: { externalIds: string[]; nextPageToken: string }[] = [];
  for await (const page of sharedClients(stack.baseUrl, binary).profiles.list(request, withKey(key))) {
    result.push({ externalIds: page.profiles.map((p) => p.externalId), nextPageToken: page.nextPageToken });
  }
  return result;
}

describe("List paging", () => {
  test.each([["JSON", false], ["binary", true]] as const)("250 profiles stream as 100/100/50 in %s, newest first, each exactly once", async (_, binary) => {
    const streamed = await pages({}, stack.privateKey, binary);
    expect(streamed.map((p) => p.externalIds.length)).toEqual([100, 100, 50]);
    expect(streamed.map((p) => p.nextPageToken !== "")).toEqual([true, true, false]);
    const all = streamed.flatMap((p) => p.externalIds);
    expect(new Set(all).size).toBe(250);
    expect(all.some((e) => e.startsWith("deleted"))).toBe(false);
    // Newest first: user-000/001 are the youngest pair; pairs come in age order.
    expect(all.slice(0, 2).sort()).toEqual(["user-000", "user-001"]);
    expect(all.slice(-2).sort()).toEqual(["user-248", "user-249"]);
    const rows = await sql<{ external_id: string }[]>`
      SELECT external_id FROM profiles WHERE project_id = ${stack.projectId} AND deleted_at IS NULL ORDER BY created_at DESC, id DESC`;
    expect(all).toEqual(rows.map((r) => r.external_id));
  });

  test("a page token resumes after its page", async () => {
    const [first, second] = await pages({}, stack.privateKey);
    const resumed = await pages({ pageToken: first!.nextPageToken }, stack.privateKey);
    expect(resumed.map((p) => p.externalIds.length)).toEqual([100, 50]);
    expect(resumed[0]!.externalIds).toEqual(second!.externalIds);
  });

  test.each(["not a token", "eyJ4IjoxfQ", Buffer.from(JSON.stringify(["2026-01-01 00:00:00+00", "1; DROP TABLE profiles"])).toString("base64url")])("a bad page token (%s) is invalid_argument naming page_token", async (pageToken) => {
    const error = await pages({ pageToken }, stack.privateKey).then(() => undefined, (e: ConnectError) => e);
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toStartWith("page_token:");
  });
});

const f = (property: string, operator: Op, value = "", values: string[] = [], source = PropertySource.UNSPECIFIED) => ({ property, operator, value, values, source });
const only = (filter: ReturnType<typeof f>): ListInit => ({ filterGroups: [{ filters: [filter] }] });

describe("List filters on traits", () => {
  test.each<[string, ListInit, string[]]>([
    ["EQUALS a string", only(f("plan", Op.EQUALS, "pro")), ["f1", "f3"]],
    ["EQUALS a number matches the number and its text", only(f("seats", Op.EQUALS, "10")), ["f1", "f5"]],
    ["EQUALS 3 matches 3, 3.0 and \"3\"", only(f("score", Op.EQUALS, "3")), ["f1", "f2", "f3"]],
    ["EQUALS true matches the boolean and the text", only(f("beta", Op.EQUALS, "true")), ["f1", "f5"]],
    ["EQUALS false", only(f("beta", Op.EQUALS, "false")), ["f2"]],
    ["NOT_EQUALS includes profiles without the trait", only(f("plan", Op.NOT_EQUALS, "pro")), ["f2", "f4", "f5"]],
    ["CONTAINS, ignoring case", only(f("email", Op.CONTAINS, "example")), ["f1"]],
    ["NOT_CONTAINS", only(f("email", Op.NOT_CONTAINS, "example")), ["f2", "f3", "f4", "f5"]],
    ["IS_SET", only(f("beta", Op.IS_SET)), ["f1", "f2", "f5"]],
    ["IS_SET is false for a null trait", only(f("nothing", Op.IS_SET)), []],
    ["IS_NOT_SET", only(f("beta", Op.IS_NOT_SET)), ["f3", "f4"]],
    ["LT compares numbers only", only(f("seats", Op.LT, "10")), ["f2"]],
    ["LTE", only(f("seats", Op.LTE, "10")), ["f1", "f2"]],
    ["GT", only(f("seats", Op.GT, "10")), ["f3"]],
    ["GTE", only(f("seats", Op.GTE, "10")), ["f1", "f3"]],
    ["IN", only(f("plan", Op.IN, "", ["free", "enterprise"])), ["f2", "f5"]],
    ["NOT_IN", only(f("plan", Op.NOT_IN, "", ["pro"])), ["f2", "f4", "f5"]],
    ["BETWEEN, bounds included", only(f("seats", Op.BETWEEN, "", ["2", "10"])), ["f1", "f2"]],
    ["NOT_BETWEEN, numbers only", only(f("seats", Op.NOT_BETWEEN, "", ["2", "10"])), ["f3"]],
    ["a PROFILE source is the same as none", only(f("plan", Op.EQUALS, "pro", [], PropertySource.PROFILE)), ["f1", "f3"]],
    ["OR within a group, AND between groups", { filterGroups: [{ operator: LogicalOperator.OR, filters: [f("plan", Op.EQUALS, "pro"), f("plan", Op.EQUALS, "free")] }, { filters: [f("beta", Op.IS_SET)] }] }, ["f1", "f2"]],
    ["OR between groups", { filterGroupsOperator: LogicalOperator.OR, filterGroups: [{ filters: [f("plan", Op.EQUALS, "enterprise")] }, { filters: [f("seats", Op.GT, "20")] }] }, ["f3", "f5"]],
    ["a trait name that is SQL stays a name", only(f("plan' OR '1'='1", Op.IS_SET)), []],
  ])("%s", async (_, request, expected) => {
    const streamed = await pages(request, filtered.privateKey);
    expect(streamed.flatMap((p) => p.externalIds).sort()).toEqual(expected);
  });

  test.each<[string, ListInit, string]>([
    ["a CUSTOM source", only(f("plan", Op.EQUALS, "pro", [], PropertySource.CUSTOM)), "filter_groups[0].filters[0].source: List filters on profile traits only"],
    ["an AUTO source in the second group", { filterGroups: [{ filters: [f("plan", Op.IS_SET)] }, { filters: [f("$browser", Op.IS_SET, "", [], PropertySource.AUTO)] }] }, "filter_groups[1].filters[0].source"],
    ["BETWEEN with one value", only(f("seats", Op.BETWEEN, "", ["2"])), "filter_groups[0].filters[0].values: BETWEEN takes exactly 2 numbers"],
    ["GT with text", only(f("seats", Op.GT, "many")), "filter_groups[0].filters[0].value: 'many' is not a number"],
    ["no operator", only(f("seats", Op.UNSPECIFIED, "1")), "filter_groups[0].filters[0].operator: required"],
  ])("%s is invalid_argument naming the field", async (_, request, message) => {
    const error = await pages(request, filtered.privateKey).then(() => undefined, (e: ConnectError) => e);
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toStartWith(message);
  });
});
