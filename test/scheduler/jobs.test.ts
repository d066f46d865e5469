// The scheduler's jobs on real services (a scratch Postgres database, ClickHouse database and Redis prefix): purge,
// retention, token expiry, salt rotation and the usage rollup each touching exactly the rows they should.

import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type { App } from "../../src/app/app.ts";
import { PROJECT_TABLES } from "../../src/domain/scheduler/project-data.ts";
import { splitStatements } from "../../src/domain/sql/statements.ts";
import { utcDay } from "../../src/infra/cookieless-salt.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { embeddedMigrations } from "../../src/migrate/embedded.ts";
import { createProject } from "../../src/server/projects.ts";
import { runInSlot } from "../../src/workers/scheduler/scheduled-job.ts";
import { seedEvents } from "../support/api-clients.ts";
import { expectSuccess } from "../support/pug-process.ts";
import { job, schedulerRun as runScheduler, schedulerTestApp } from "../support/scheduler-app.ts";
import type { ScratchEnv } from "../support/scratch.ts";

const DAY = 86_400_000;
const daysAgo = (days: number, hours = 0) => new Date(Date.now() - days * DAY - hours * 3_600_000);

let env: ScratchEnv;
let app: App;
let sql: Sql;
let ch: ClickHouseClient;
/** What the scheduler logged, parsed. */
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  ({ env, app, sql, ch } = await schedulerTestApp("scheduler_jobs", logs));
});

afterAll(async () => {
  await app?.close();
});

const schedulerRun = (args: string[]) => runScheduler(env, args);

async function count(table: string, projectId: string, where = "1"): Promise<number> {
  const result = await ch.query({ query: `SELECT count() AS n FROM ${table} WHERE project_id = {p:UUID} AND ${where}`, query_params: { p: projectId }, format: "JSONEachRow" });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

async function rowsPerTable(projectId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of PROJECT_TABLES) counts[table] = await count(table, projectId);
  return counts;
}

/** A few events, a profile mirror row and an alias: a row in every ClickHouse table that has a project id. */
async function seedProjectData(projectId: string): Promise<void> {
  const at = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
  await seedEvents(ch, [
    { project_id: projectId, distinct_id: "u1", occurred_at: daysAgo(1), kind: "page_view", url: "https://x.test/a", pathname: "/a", custom_properties: { plan: "pro" } },
    { project_id: projectId, distinct_id: "u1", occurred_at: daysAgo(0, 1), custom_properties: { plan: "free" } },
  ]);
  const row = { project_id: projectId, external_id: "u1", profile_id: crypto.randomUUID(), properties: '{"name":"Ann"}', property_texts: { name: "Ann" }, property_numbers: {}, property_types: {}, created_at: at(new Date()), updated_at: at(new Date()), version: 1, is_deleted: 0 };
  await ch.insert({ table: "profiles", format: "JSONEachRow", values: [row] });
  await ch.insert({ table: "profile_aliases", format: "JSONEachRow", values: [{ project_id: projectId, alias_id: "anon-1", external_id: "u1", profile_id: row.profile_id, version: 1, is_deleted: 0 }] });
}

describe("purge-projects", () => {
  test("the ClickHouse tables it purges are every table with a project id", async () => {
    const result = await ch.query({
      query: `SELECT DISTINCT table FROM system.columns c JOIN system.tables t ON t.database = c.database AND t.name = c.table
              WHERE c.database = currentDatabase() AND c.name = 'project_id' AND t.engine LIKE '%MergeTree' ORDER BY table`,
      format: "JSONEachRow",
    });
    expect((await result.json<{ table: string }>()).map((r) => r.table)).toEqual([...PROJECT_TABLES].sort());
  });

  test("removes only the rows of projects deleted longer ago than the grace period, in ClickHouse and Postgres, and again finds nothing", async () => {
    const gone = await createProject(sql, "purge gone", "Purge org");
    const recent = await createProject(sql, "purge recent", "Purge org");
    const live = await createProject(sql, "purge live", "Purge org");
    for (const p of [gone, recent, live]) await seedProjectData(p.projectId);
    await sql`INSERT INTO dashboards (project_id, display_name) VALUES (${gone.projectId}, 'doomed'), (${live.projectId}, 'kept')`;
    await sql`UPDATE projects SET deleted_at = now() - interval '8 days' WHERE id = ${gone.projectId}`;
    await sql`UPDATE projects SET deleted_at = now() - interval '6 days' WHERE id = ${recent.projectId}`;
    const liveBefore = await rowsPerTable(live.projectId);
    for (const table of PROJECT_TABLES) expect([table, liveBefore[table]! > 0]).toEqual([table, true]);
    expect(await rowsPerTable(gone.projectId)).toEqual(liveBefore);

    const result = await runInSlot(app, job("purge-projects"), new Date());
    expect(result).toMatchObject({ outcome: "ok", detail: `purged 1 project(s): ${gone.projectId}` });

    expect(Object.values(await rowsPerTable(gone.projectId))).toEqual(PROJECT_TABLES.map(() => 0));
    expect(await rowsPerTable(live.projectId)).toEqual(liveBefore);
    expect(await rowsPerTable(recent.projectId)).toEqual(liveBefore);
    const projects = await sql`SELECT id FROM projects WHERE org_id = ${gone.orgId} ORDER BY name`;
    expect(projects.map((p) => p.id).sort()).toEqual([live.projectId, recent.projectId].sort());
    expect((await sql`SELECT count(*)::int AS n FROM api_keys WHERE project_id = ${gone.projectId}`)[0]!.n).toBe(0);
    expect((await sql`SELECT display_name FROM dashboards WHERE project_id IN ${sql([gone.projectId, live.projectId])}`).map((d) => d.display_name)).toEqual(["kept"]);

    expect(await runInSlot(app, job("purge-projects"), new Date())).toMatchObject({ outcome: "ok", detail: "no project due" });
  });

  test("a project that cannot be purged is logged and listed, and the projects after it are purged all the same", async () => {
    const stuck = await createProject(sql, "purge stuck", "Purge failures org");
    const next = await createProject(sql, "purge next", "Purge failures org");
    // One row each (every mutation costs time): the stuck project's is deleted before its Postgres row fails.
    for (const p of [stuck, next]) {
      await ch.insert({ table: "profile_aliases", format: "JSONEachRow", values: [{ project_id: p.projectId, alias_id: "a", external_id: "u", profile_id: crypto.randomUUID(), version: 1, is_deleted: 0 }] });
    }
    expect(await count("profile_aliases", next.projectId)).toBe(1);
    // A row the purge does not know about holds the stuck project's Postgres row (no cascade): its delete fails.
    await sql`CREATE TABLE purge_blocker (project_id uuid REFERENCES projects (id))`;
    await sql`INSERT INTO purge_blocker VALUES (${stuck.projectId})`;
    await sql`UPDATE projects SET deleted_at = now() - interval '9 days' WHERE id = ${stuck.projectId}`;
    await sql`UPDATE projects SET deleted_at = now() - interval '8 days' WHERE id = ${next.projectId}`;
    try {
      const result = await runInSlot(app, job("purge-projects"), new Date());
      expect(result.outcome).toBe("failed");
      expect((result as { detail: string }).detail).toMatch(
        new RegExp(`^purged 1 project\\(s\\): ${next.projectId}; failed for 1 project\\(s\\): ${stuck.projectId} \\(.*purge_blocker.*\\)$`),
      );
      expect(Object.values(await rowsPerTable(next.projectId))).toEqual(PROJECT_TABLES.map(() => 0));
      expect((await sql`SELECT id FROM projects WHERE org_id = ${stuck.orgId}`).map((p) => p.id)).toEqual([stuck.projectId]);
      const failure = logs.find((l) => l.msg === "project failed; going on with the next" && l.project_id === stuck.projectId);
      expect(failure).toMatchObject({ level: "error", job: "purge-projects" });
      expect(JSON.stringify(failure!.error)).toContain("purge_blocker");
      expect((await sql`SELECT outcome, detail FROM scheduler_runs WHERE job = 'purge-projects' ORDER BY started_at DESC LIMIT 1`)[0]).toEqual({ outcome: "failed", detail: (result as { detail: string }).detail });
    } finally {
      await sql`DROP TABLE purge_blocker`;
    }
    expect(await runInSlot(app, job("purge-projects"), new Date())).toMatchObject({ outcome: "ok", detail: `purged 1 project(s): ${stuck.projectId}` });
  });

  test("projects keep no purged_at: a purged project's row is deleted, not marked", async () => {
    const columns = await sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'projects' AND column_name LIKE 'purge%'`;
    expect([...columns]).toEqual([]);
  });
});

describe("enforce-retention", () => {
  async function mutations(): Promise<Record<string, number>> {
    const result = await ch.query({
      query: "SELECT table, toString(count()) AS n FROM system.mutations WHERE database = currentDatabase() AND table IN ('events', 'profile_days') GROUP BY table",
      format: "JSONEachRow",
    });
    return Object.fromEntries((await result.json<{ table: string; n: string }>()).map((r) => [r.table, Number(r.n)]));
  }
  const occurredAt = async (projectId: string) => {
    const result = await ch.query({ query: "SELECT distinct_id, toUnixTimestamp64Milli(occurred_at) AS at FROM events WHERE project_id = {p:UUID} ORDER BY occurred_at", query_params: { p: projectId }, format: "JSONEachRow" });
    return (await result.json<{ distinct_id: string; at: string }>()).map((r) => r.distinct_id);
  };

  test("deletes only the events past each project's period, to the minute, in one mutation per table for every project; usage still counts them", async () => {
    const kept = await createProject(sql, "retention 30", "Retention org");
    const short = await createProject(sql, "retention 10", "Retention org");
    const forever = await createProject(sql, "retention none", "Retention org");
    await sql`UPDATE projects SET retention_days = 30 WHERE id = ${kept.projectId}`;
    await sql`UPDATE projects SET retention_days = 10 WHERE id = ${short.projectId}`;
    const minute = 60_000;
    for (const p of [kept, short, forever]) {
      await seedEvents(ch, [
        { project_id: p.projectId, distinct_id: "old", occurred_at: daysAgo(40) },
        { project_id: p.projectId, distinct_id: "old", occurred_at: daysAgo(31) },
        // A minute either side of the 30-day cutoff (the run starts within seconds).
        { project_id: p.projectId, distinct_id: "edge-past", occurred_at: new Date(daysAgo(30).getTime() - minute) },
        { project_id: p.projectId, distinct_id: "edge-kept", occurred_at: new Date(daysAgo(30).getTime() + minute) },
        { project_id: p.projectId, distinct_id: "new", occurred_at: daysAgo(29) },
        { project_id: p.projectId, distinct_id: "new", occurred_at: daysAgo(9) },
        { project_id: p.projectId, distinct_id: "new", occurred_at: daysAgo(1) },
      ]);
    }
    const before = await mutations();

    const result = await runInSlot(app, job("enforce-retention"), new Date());
    expect(result).toMatchObject({ outcome: "ok", detail: "deleted 8 event(s) past retention in 2 project(s) with a retention period" });
    expect(await occurredAt(kept.projectId)).toEqual(["edge-kept", "new", "new", "new"]);
    expect(await occurredAt(short.projectId)).toEqual(["new", "new"]);
    expect(await occurredAt(forever.projectId)).toEqual(["old", "old", "edge-past", "edge-kept", "new", "new", "new"]);
    expect(await count("profile_days", kept.projectId, "day < today() - 30")).toBe(0);
    expect(await count("profile_days", kept.projectId, "day >= today() - 29")).toBe(3);
    expect(await count("profile_days", short.projectId, "day < today() - 10")).toBe(0);
    expect(await count("profile_days", short.projectId)).toBe(2);
    expect(await count("profile_days", forever.projectId, "day < today() - 30")).toBe(2);
    const after = await mutations();
    expect({ events: after.events! - (before.events ?? 0), profile_days: after.profile_days! - (before.profile_days ?? 0) }).toEqual({ events: 1, profile_days: 1 });
    const usage = await ch.query({ query: "SELECT sum(events) AS n FROM usage_daily WHERE project_id = {p:UUID}", query_params: { p: kept.projectId }, format: "JSONEachRow" });
    expect(Number((await usage.json<{ n: string }>())[0]!.n)).toBe(7);
  });

  test("a project whose period cannot be applied is logged and listed; the others' old events are deleted all the same", async () => {
    // A row the job cannot handle (the column's CHECK keeps these out; dropped here to make one), sorted first.
    await sql`UPDATE projects SET retention_days = 0 WHERE retention_days > 0`;
    const { orgId } = await createProject(sql, "retention bad org", "Retention failures org");
    const bad = "00000000-0000-4000-8000-000000000001";
    const good = await createProject(sql, "retention good", "Retention failures org");
    await sql`ALTER TABLE projects DROP CONSTRAINT projects_retention_days_check`;
    try {
      await sql`INSERT INTO projects (id, org_id, name, retention_days) VALUES (${bad}, ${orgId}, 'retention bad', 2000000000)`;
      await sql`UPDATE projects SET retention_days = 5 WHERE id = ${good.projectId}`;
      await seedEvents(ch, [
        { project_id: good.projectId, distinct_id: "old", occurred_at: daysAgo(6) },
        { project_id: good.projectId, distinct_id: "new", occurred_at: daysAgo(4) },
      ]);
      const result = await runInSlot(app, job("enforce-retention"), new Date());
      expect(result.outcome).toBe("failed");
      expect((result as { detail: string }).detail).toMatch(
        new RegExp(`^deleted 1 event\\(s\\) past retention in 2 project\\(s\\) with a retention period; failed for 1 project\\(s\\): ${bad} \\(a retention period is a whole number of days from 1 to 36500, got 2000000000\\)$`),
      );
      expect(await occurredAt(good.projectId)).toEqual(["new"]);
      expect(logs.find((l) => l.msg === "project failed; going on with the next" && l.project_id === bad)).toMatchObject({ level: "error", job: "enforce-retention" });
    } finally {
      await sql`DELETE FROM projects WHERE id = ${bad}`;
      await sql`ALTER TABLE projects ADD CONSTRAINT projects_retention_days_check CHECK (retention_days BETWEEN 0 AND 36500)`;
    }
  });
});

describe("expire-tokens", () => {
  test("deletes expired links, expired or long-revoked refresh tokens, invitations lapsed a month ago, month-old run and mail records, day-old invitation sends, nothing else (`pug scheduler run`)", async () => {
    const hash = () => randomBytes(32);
    const [person] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES ('tokens@example.test') RETURNING id`;
    const { orgId } = await createProject(sql, "tokens", "Tokens org");
    const links = { expired: hash(), fresh: hash() };
    await sql`INSERT INTO magic_links (token_sha256, email, expires_at) VALUES
      (${links.expired}, 'a@example.test', now() - interval '1 minute'), (${links.fresh}, 'a@example.test', now() + interval '10 minutes')`;
    const refresh = { expired: hash(), revokedLongAgo: hash(), revokedJustNow: hash(), fresh: hash() };
    const family = crypto.randomUUID();
    await sql`INSERT INTO refresh_tokens (token_sha256, family_id, customer_id, expires_at, revoked_at) VALUES
      (${refresh.expired}, ${family}, ${person!.id}, now() - interval '1 second', NULL),
      (${refresh.revokedLongAgo}, ${family}, ${person!.id}, now() + interval '80 days', now() - interval '25 hours'),
      (${refresh.revokedJustNow}, ${family}, ${person!.id}, now() + interval '80 days', now() - interval '1 hour'),
      (${refresh.fresh}, ${family}, ${person!.id}, now() + interval '80 days', NULL)`;
    const invites = { lapsed: hash(), lapsedAccepted: hash(), lapsedRecently: hash(), pending: hash() };
    await sql`INSERT INTO invitations (org_id, email, role, token_sha256, expires_at, accepted_at) VALUES
      (${orgId}, 'b@example.test', 'member', ${invites.lapsed}, now() - interval '31 days', NULL),
      (${orgId}, 'c@example.test', 'member', ${invites.lapsedAccepted}, now() - interval '31 days', now() - interval '35 days'),
      (${orgId}, 'd@example.test', 'member', ${invites.lapsedRecently}, now() - interval '29 days', NULL),
      (${orgId}, 'e@example.test', 'viewer', ${invites.pending}, now() + interval '7 days', NULL)`;

    // Month-old ledger rows go, except a job's latest successful run however old; so do month-old mail records.
    await sql`INSERT INTO scheduler_runs (job, slot, runner, started_at, finished_at, outcome) VALUES
      ('test-old', now() - interval '40 days', 'r', now() - interval '40 days', now() - interval '40 days', 'ok'),
      ('test-old', now() - interval '31 days', 'r', now() - interval '31 days', now() - interval '31 days', 'ok'),
      ('test-old', now() - interval '30 days 1 hour', 'r', now() - interval '30 days 1 hour', now() - interval '30 days 1 hour', 'failed'),
      ('test-old', now() - interval '29 days', 'r', now() - interval '29 days', now() - interval '29 days', 'failed'),
      ('test-once', now() - interval '60 days', 'r', now() - interval '60 days', now() - interval '60 days', 'ok')`;
    await sql`INSERT INTO email_deliveries (idempotency_key, template, recipient, sent_at) VALUES
      ('old', 'test', 'x@example.test', now() - interval '31 days'), ('recent', 'test', 'x@example.test', now() - interval '29 days')`;
    // Invitation sends go after a day (the budgets look back an hour).
    await sql`INSERT INTO invitation_sends (org_id, invitation_id, sent_at)
      SELECT org_id, id, sent_at FROM invitations, (VALUES (now() - interval '25 hours'), (now() - interval '23 hours')) AS s (sent_at)
      WHERE token_sha256 = ${invites.pending}`;

    const result = expectSuccess(await schedulerRun(["expire-tokens"]), "pug scheduler run expire-tokens");
    expect(result.stdout.trim()).toMatch(
      /^expire-tokens \S+: ok in \d+ ms: deleted 1 magic link\(s\), 2 refresh token\(s\), 1 invitation\(s\), 2 scheduler run\(s\), 1 mail delivery record\(s\), 1 invitation send\(s\)$/,
    );
    const runs = await sql`SELECT job, outcome, round(extract(epoch FROM now() - started_at) / 86400)::int AS days FROM scheduler_runs WHERE runner = 'r' ORDER BY started_at`;
    expect([...runs]).toEqual([
      { job: "test-once", outcome: "ok", days: 60 },
      { job: "test-old", outcome: "ok", days: 31 },
      { job: "test-old", outcome: "failed", days: 29 },
    ]);
    expect((await sql`SELECT idempotency_key FROM email_deliveries`).map((r) => r.idempotency_key)).toEqual(["recent"]);
    expect([...(await sql`SELECT round(extract(epoch FROM now() - sent_at) / 3600)::int AS hours FROM invitation_sends`)]).toEqual([{ hours: 23 }]);

    const hex = (rows: { token_sha256: Buffer }[]) => rows.map((r) => r.token_sha256.toString("hex")).sort();
    const expected = (tokens: Buffer[]) => tokens.map((t) => t.toString("hex")).sort();
    expect(hex(await sql`SELECT token_sha256 FROM magic_links`)).toEqual(expected([links.fresh]));
    expect(hex(await sql`SELECT token_sha256 FROM refresh_tokens`)).toEqual(expected([refresh.revokedJustNow, refresh.fresh]));
    expect(hex(await sql`SELECT token_sha256 FROM invitations`)).toEqual(expected([invites.lapsedAccepted, invites.lapsedRecently, invites.pending]));
  });
});

describe("rotate-cookieless-salt", () => {
  test("creates tomorrow's salt (kept if one exists) and deletes salts older than yesterday", async () => {
    const redis = app.redis();
    await redis.connect();
    const day = (offset: number) => utcDay(Date.now() + offset * DAY);
    const key = (d: string) => redis.key("cookieless-salt", d);
    for (const offset of [-3, -2, -1, 0]) await redis.client.send("SET", [key(day(offset)), `salt${offset}`, "EX", "172800"]);

    expect(await runInSlot(app, job("rotate-cookieless-salt"), new Date())).toMatchObject({ outcome: "ok", detail: `salt of ${day(1)} ready; deleted 2 older salt(s)` });
    const tomorrow = await redis.client.get(key(day(1)));
    expect(tomorrow).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(await redis.client.ttl(key(day(1))))).toBeGreaterThan(86_400);
    for (const offset of [-3, -2]) expect(await redis.client.exists(key(day(offset)))).toBe(false);
    expect(await redis.client.get(key(day(-1)))).toBe("salt-1");
    expect(await redis.client.get(key(day(0)))).toBe("salt0");

    await runInSlot(app, job("rotate-cookieless-salt"), new Date());
    expect(await redis.client.get(key(day(1)))).toBe(tomorrow);
  });
});

describe("usage-rollup", () => {
  test("copies events per project and day into usage_days, replacing older counts, for projects that exist: every day on the first run, the last 35 after", async () => {
    const a = await createProject(sql, "usage a", "Usage org");
    const b = await createProject(sql, "usage b", "Usage org");
    const missing = crypto.randomUUID();
    const events = (projectId: string, days: number[]) => seedEvents(ch, days.map((d) => ({ project_id: projectId, distinct_id: "u", occurred_at: daysAgo(d, 0) })));
    await events(a.projectId, [2, 2, 2, 0]);
    await events(b.projectId, [400, 40, 10]);
    await events(missing, [1]);
    await sql`INSERT INTO usage_days (project_id, day, event_count, computed_at) VALUES (${a.projectId}, ${utcDay(daysAgo(2).getTime())}, 1, now() - interval '1 day')`;
    const usage = async () => {
      const rows = await sql<{ project_id: string; day: string; event_count: string }[]>`
        SELECT project_id, to_char(day, 'YYYY-MM-DD') AS day, event_count::text
        FROM usage_days WHERE project_id IN ${sql([a.projectId, b.projectId, missing])} AND computed_at > now() - interval '1 minute'`;
      return rows.map((r) => `${r.project_id === a.projectId ? "a" : r.project_id === b.projectId ? "b" : "missing"} ${r.day} ${r.event_count}`).sort();
    };
    const day = (d: number) => utcDay(daysAgo(d).getTime());

    expect(await sql`SELECT 1 FROM scheduler_runs WHERE job = 'usage-rollup'`).toHaveLength(0);
    const first = await runInSlot(app, job("usage-rollup"), new Date());
    expect(first).toMatchObject({ outcome: "ok" });
    expect((first as { detail: string }).detail).toEndWith("in all days (first run)");
    expect(await usage()).toEqual([`a ${day(2)} 3`, `a ${day(0)} 1`, `b ${day(400)} 1`, `b ${day(40)} 1`, `b ${day(10)} 1`].sort());

    // Later runs copy the last 35 days only: a count changed 40 days ago is not read again.
    await events(b.projectId, [40, 10]);
    await sql`UPDATE usage_days SET computed_at = now() - interval '1 day' WHERE project_id = ${b.projectId}`;
    const second = await runInSlot(app, job("usage-rollup"), new Date(Date.now() + 1));
    expect((second as { detail: string }).detail).toEndWith("in the last 35 days");
    expect((await usage()).filter((row) => row.startsWith("b "))).toEqual([`b ${day(10)} 2`]);
  });

  test("the migration's backfill counts existing events once, and only into an empty table", async () => {
    const backfill = splitStatements(embeddedMigrations.clickhouse["0006_usage.sql"]).find((s) => /INSERT INTO usage_daily/.test(s))!;
    const totals = async (table: string, column: string) => {
      const counted = table === "events" ? "count()" : "sum(events)";
      const result = await ch.query({
        query: `SELECT toString(project_id) AS p, toString(d) AS day_text, toString(n) AS total
                FROM (SELECT project_id, ${column} AS d, ${counted} AS n FROM ${table} GROUP BY project_id, d) ORDER BY p, day_text`,
        format: "JSONEachRow",
      });
      return await result.json();
    };
    const fromEvents = await totals("events", "toDate(received_at)");
    await ch.command({ query: "TRUNCATE TABLE usage_daily" });
    await ch.command({ query: backfill });
    expect(await totals("usage_daily", "day")).toEqual(fromEvents);
    await ch.command({ query: backfill });
    expect(await totals("usage_daily", "day")).toEqual(fromEvents);
  });
});
