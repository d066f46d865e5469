// UsageService.GetUsage against a running `pug server`, over usage_days rows written by SQL (the scheduler's
// rollup writes them in production): org A has two projects (one since soft-deleted), org B one, org C none yet.
// The person is a viewer of A and C, not a member of B.

import { timestampDate, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import { type UsageDay, UsageService } from "../../src/gen/dashboard/usage/v1/usage_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { createProject, type CreatedProject } from "../../src/server/projects.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { refusal } from "../support/dashboard-people.ts";
import { TEST_JWT_SECRET } from "../support/scratch.ts";

let stack: IngestStack;
let sql: Sql;
let orgA: string;
let deletedA: CreatedProject;
let orgB: CreatedProject;
let orgC: CreatedProject;
let headers: Record<string, string>;

const DAY = 86_400_000;
const now = new Date();
const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
const nextMonthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const FIRST = day(monthStart);
const SECOND = day(monthStart + DAY);
const LAST_OF_PREVIOUS = day(monthStart - DAY);

const usage = () => createClient(UsageService, createConnectTransport({ baseUrl: stack.baseUrl }));

beforeAll(async () => {
  stack = await ingestStack("api_usage");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  orgA = (await sql<{ org_id: string }[]>`SELECT org_id FROM projects WHERE id = ${stack.projectId}`)[0]!.org_id;
  deletedA = await createProject(sql, "old app"); // the same org (Default)
  orgB = await createProject(sql, "b app", "Org B");
  orgC = await createProject(sql, "c app", "Org C");
  expect(new Set([orgA, deletedA.orgId, orgB.orgId, orgC.orgId]).size).toBe(3);
  const [customer] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES ('usage@example.com') RETURNING id`;
  await sql`INSERT INTO org_members (org_id, customer_id, role) VALUES (${orgA}, ${customer!.id}, 'viewer'), (${orgC.orgId}, ${customer!.id}, 'viewer')`;
  headers = { authorization: `Bearer ${await signAccessToken(TEST_JWT_SECRET, customer!.id)}` };
  const row = (projectId: string, on: string, count: number, computedAt: string) => sql`INSERT INTO usage_days (project_id, day, event_count, computed_at) VALUES (${projectId}, ${on}, ${count}, ${computedAt})`;
  await row(stack.projectId, LAST_OF_PREVIOUS, 3, "2026-01-01T01:00:00Z");
  await row(stack.projectId, FIRST, 10, "2026-01-02T03:00:00Z");
  await row(stack.projectId, SECOND, 5, "2026-01-02T03:00:00Z");
  await row(deletedA.projectId, FIRST, 7, "2026-01-02T04:00:00Z");
  await row(orgB.projectId, FIRST, 1000, "2026-01-03T00:00:00Z");
  await sql`UPDATE projects SET deleted_at = now() WHERE id = ${deletedA.projectId}`;
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const daily = (days: UsageDay[]) =>
  days.map((d) => [timestampDate(d.day!).toISOString(), d.projectId, Number(d.eventCount)]);
const midnight = (on: string) => `${on}T00:00:00.000Z`;

describe("GetUsage", () => {
  test("default: this UTC month of the org's projects, the deleted one included, no other org's", async () => {
    const answer = await usage().getUsage({ orgId: orgA }, { headers });
    expect(answer.usedEvents).toBe(22n);
    expect([timestampMs(answer.periodStart!), timestampMs(answer.periodEnd!)]).toEqual([monthStart, nextMonthStart]);
    expect(timestampDate(answer.usageComputedAt!).toISOString()).toBe("2026-01-02T04:00:00.000Z");
    // Within a day, by project id (as Postgres orders uuids: their hex text).
    const firstDay: [string, string, number][] = [[midnight(FIRST), stack.projectId, 10], [midnight(FIRST), deletedA.projectId, 7]];
    firstDay.sort((a, b) => (a[1] < b[1] ? -1 : 1));
    expect(daily(answer.daily)).toEqual([...firstDay, [midnight(SECOND), stack.projectId, 5]]);
  });

  test("a range: the UTC days it overlaps; in JSON used_events is an int64 string", async () => {
    const range = { from: timestampFromMs(monthStart - DAY / 2), to: timestampFromMs(monthStart + DAY) };
    const answer = await usage().getUsage({ orgId: orgA, range }, { headers });
    expect([answer.usedEvents, answer.daily.length]).toEqual([20n, 3]);
    expect(daily(answer.daily)[0]).toEqual([midnight(LAST_OF_PREVIOUS), stack.projectId, 3]);
    const raw = await fetch(`${stack.baseUrl}/dashboard.usage.v1.UsageService/GetUsage`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ orgId: orgA, range: { from: new Date(monthStart - DAY).toISOString(), to: new Date(monthStart).toISOString() } }) });
    expect(await raw.json()).toEqual({
      usedEvents: "3",
      periodStart: new Date(monthStart - DAY).toISOString().replace(".000", ""),
      periodEnd: new Date(monthStart).toISOString().replace(".000", ""),
      usageComputedAt: "2026-01-02T04:00:00Z",
      daily: [{ day: midnight(LAST_OF_PREVIOUS).replace(".000", ""), projectId: stack.projectId, eventCount: "3" }],
    });
  });

  test("an org the rollup has not reached yet has no used_events (not 0); a range without rows has 0", async () => {
    const none = await usage().getUsage({ orgId: orgC.orgId }, { headers });
    expect([none.usedEvents, none.usageComputedAt, none.daily]).toEqual([undefined, undefined, []]);
    const quiet = await usage().getUsage({ orgId: orgA, range: { from: timestampFromMs(Date.UTC(2020, 0, 1)), to: timestampFromMs(Date.UTC(2020, 1, 1)) } }, { headers });
    expect([quiet.usedEvents, quiet.daily]).toEqual([0n, []]);
  });

  test("once the rollup has run, an org without events has used 0, computed at the run's end", async () => {
    const finished = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    await sql`INSERT INTO scheduler_runs (job, slot, runner, finished_at, outcome) VALUES ('usage-rollup', now(), 'test', ${finished}, 'ok')`;
    try {
      const none = await usage().getUsage({ orgId: orgC.orgId }, { headers });
      expect([none.usedEvents, none.usageComputedAt?.seconds, none.daily]).toEqual([0n, BigInt(finished.getTime() / 1000), []]);
    } finally {
      await sql`DELETE FROM scheduler_runs WHERE runner = 'test'`;
    }
  });

  test("bad ranges are refused by field; another org is refused by the boundary", async () => {
    expect(await refusal(usage().getUsage({ orgId: orgA, range: { from: timestampFromMs(monthStart), to: timestampFromMs(monthStart) } }, { headers }))).toBe("InvalidArgument: range: from must be before to");
    expect(await refusal(usage().getUsage({ orgId: orgA, range: { from: timestampFromMs(monthStart - 401 * DAY), to: timestampFromMs(monthStart) } }, { headers }))).toBe("InvalidArgument: range: at most 400 days");
    expect(await refusal(usage().getUsage({ orgId: orgB.orgId }, { headers }))).toStartWith("PermissionDenied:");
  });
});
