// `pug migrate` against the real stores, in scratch databases and prefixes of this run.

import { describe, expect, test } from "bun:test";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { renderStatement } from "../../src/domain/migrations/clickhouse-render.ts";
import { splitStatements } from "../../src/domain/sql/statements.ts";
import { embeddedMigrations } from "../../src/migrate/embedded.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { scratchEnv } from "../support/scratch.ts";
import { testEnv } from "../support/test-env.ts";

// What every run must end with, derived from the shipped migrations so a new migration does not break it.
const pgMigrations = Object.keys(embeddedMigrations.postgres).sort();
const chMigrations = Object.keys(embeddedMigrations.clickhouse);
const chDropped = new Set(Object.values(embeddedMigrations.clickhouse).flatMap((text) => [...text.matchAll(/DROP (?:TABLE|VIEW) IF EXISTS (\w+)/g)].map((m) => m[1]!)));
const chObjects = Object.values(embeddedMigrations.clickhouse)
  .flatMap((text) => [...text.matchAll(/CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS (\w+)/g)].map((m) => m[1]!))
  .filter((name) => !chDropped.has(name));

describe("pug migrate", () => {
  test("applies every store's migrations once, records them, and is a no-op the second time", async () => {
    const env = await scratchEnv("migrate_once");
    const first = expectSuccess(await runPug(["migrate"], env));
    expect(first.stdout).toContain("postgres: applied 0003_api_keys.sql in");
    expect(first.stdout).toContain("clickhouse: applied 0001_events.sql in");
    expect(first.stdout).toContain(`nats: created consumer ${env.PUG_NATS_PREFIX}_events/events-worker`);

    const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
    const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
    try {
      const ledger = await sql<{ name: string }[]>`SELECT name FROM pug_schema_migrations ORDER BY name`;
      expect(ledger.map((r) => r.name)).toEqual(pgMigrations);
      const tables = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('orgs', 'projects', 'api_keys')`;
      expect(tables[0]!.n).toBe(3);
      const chTables = await (await ch.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name", format: "JSONEachRow" })).json<{ name: string }>();
      expect(chTables.map((t) => t.name)).toEqual([...chObjects, "pug_schema_migrations"].sort());
      const info = await nats.jsm.consumers.info(nats.names.stream("events"), "events-worker");
      expect(info.config.max_deliver).toBe(5);
      // 0003 raises the email worker's attempts: retries span hours.
      expect((await nats.jsm.consumers.info(nats.names.stream("email"), "email-worker")).config.max_deliver).toBe(25);
      expect((await nats.jsm.streams.info(nats.names.stream("events_dlq"))).config.subjects).toEqual([`${env.PUG_NATS_PREFIX}.events_dlq.>`]);

      const second = expectSuccess(await runPug(["migrate"], env));
      expect(second.stdout).toBe(
        [`postgres: no migrations pending (${pgMigrations.length} applied)`, `clickhouse: no migrations pending (${chMigrations.length} applied)`, "nats: no migrations pending (3 applied)", "nats: 8 streams and 4 consumers as declared", ""].join("\n"),
      );
      expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pug_schema_migrations`)[0]!.n).toBe(pgMigrations.length);
    } finally {
      await sql.end();
      await ch.close();
      await nats.close();
    }
  });

  test("--dry-run prints the plan and changes nothing", async () => {
    const env = await scratchEnv("migrate_dry");
    const result = expectSuccess(await runPug(["migrate", "--dry-run"], env));
    expect(result.stdout).toContain("postgres: would apply 0001_orgs.sql");
    expect(result.stdout).toContain("clickhouse: would apply 0001_events.sql");
    expect(result.stdout).toContain(`nats: would create stream ${env.PUG_NATS_PREFIX}_events`);
    const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
    const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: "default" });
    try {
      expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)[0]!.n).toBe(0);
      const dbs = await (await ch.query({ query: "SELECT count() AS n FROM system.databases WHERE name = {db:String}", query_params: { db: env.CLICKHOUSE_DATABASE }, format: "JSONEachRow" })).json<{ n: string }>();
      expect(dbs[0]!.n).toBe("0");
    } finally {
      await sql.end();
      await ch.close();
    }
    const status = await runPug(["postgres", "migrate", "status"], env);
    expect(status.stdout).toContain("postgres   pending  0001_orgs.sql");
  });

  test("two runs started together apply each migration exactly once", async () => {
    const env = await scratchEnv("migrate_race");
    const [a, b] = await Promise.all([runPug(["migrate"], env), runPug(["migrate"], env)]);
    expectSuccess(a, "first migrate");
    expectSuccess(b, "second migrate");
    const applied = (a.stdout + b.stdout).match(/postgres: applied 0001_orgs\.sql/g) ?? [];
    expect(applied).toHaveLength(1);
    const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
    try {
      expect((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pug_schema_migrations`)[0]!.n).toBe(pgMigrations.length);
    } finally {
      await sql.end();
    }
  });

  test("an applied migration whose checksum changed stops the run with a clear error", async () => {
    const env = await scratchEnv("migrate_edit");
    expectSuccess(await runPug(["postgres", "migrate"], env));
    const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
    try {
      await sql`UPDATE pug_schema_migrations SET checksum = 'deadbeef' WHERE name = '0002_projects.sql'`;
    } finally {
      await sql.end();
    }
    const result = await runPug(["postgres", "migrate"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("postgres: 0002_projects.sql was edited after it was applied (recorded checksum deadbeef…");
    expect(result.stderr).toContain("put the change in a new migration");
    const status = await runPug(["postgres", "migrate", "status"], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("postgres   changed  0002_projects.sql");
  });

  test("a stream changed by hand is put back as declared, in place", async () => {
    const env = await scratchEnv("migrate_drift");
    expectSuccess(await runPug(["nats", "migrate"], env));
    const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
    try {
      const name = nats.names.stream("email");
      await nats.js.publish(nats.names.subject("email", "send"), "kept");
      await nats.jsm.streams.update(name, { description: "changed by hand" });
      const result = expectSuccess(await runPug(["nats", "migrate"], env));
      expect(result.stdout).toContain(`nats: updated stream ${name}`);
      const info = await nats.jsm.streams.info(name);
      expect(info.config.description).toBe("Mail to send, waiting for the email worker");
      expect(info.state.messages).toBe(1);
    } finally {
      await nats.close();
    }
  });

  test("an email consumer of 0001 (5 attempts) is raised to 25 in place, keeping what it has not delivered", async () => {
    const env = await scratchEnv("migrate_email_retries");
    expectSuccess(await runPug(["nats", "migrate"], env));
    const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
    try {
      const stream = nats.names.stream("email");
      await nats.jsm.consumers.update(stream, "email-worker", { max_deliver: 5, description: "Sends mail over SMTP" });
      await nats.js.publish(nats.names.subject("email", "send"), "kept");
      const result = expectSuccess(await runPug(["nats", "migrate"], env));
      expect(result.stdout).toContain(`nats: updated consumer ${stream}/email-worker`);
      const info = await nats.jsm.consumers.info(stream, "email-worker");
      expect([info.config.max_deliver, info.config.ack_wait, info.num_pending]).toEqual([25, 120e9, 1]);
    } finally {
      await nats.close();
    }
  });

  test("replicas above 1 on a single NATS server are refused before anything is created", async () => {
    const env = await scratchEnv("migrate_replicas");
    const result = await runPug(["nats", "migrate"], { ...env, NATS_STREAM_REPLICAS: "3" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("NATS_STREAM_REPLICAS=3, but the NATS server is not part of a cluster");
  });

  test("ClickHouse DDL rendered for a cluster is valid ClickHouse SQL", async () => {
    const ch = createClickHouse({ url: testEnv().clickhouseUrl, database: "default" });
    try {
      const statements = Object.values(embeddedMigrations.clickhouse).flatMap((text) => splitStatements(text));
      const rendered = statements.flatMap((s) => renderStatement(s, { database: "pug", cluster: "analytics" }));
      // A table becomes a local and a Distributed one (a column change reaches both); a materialized view is one
      // view on every node, and so is dropping it; a setting changes the local table; a backfill (INSERT … SELECT)
      // runs once, through the Distributed tables.
      const once = (s: string) => /^\s*(--[^\n]*\n\s*)*(CREATE MATERIALIZED VIEW|DROP VIEW|INSERT INTO|ALTER TABLE \w+ MODIFY SETTING)/i.test(s);
      const views = statements.filter((s) => /^\s*(--[^\n]*\n\s*)*CREATE MATERIALIZED VIEW/i.test(s)).length;
      expect(views).toBeGreaterThan(0);
      expect(rendered.length).toBe(statements.filter((s) => !once(s)).length * 2 + statements.filter(once).length);
      for (const sql of rendered) {
        const result = await ch.query({ query: "SELECT formatQuery({sql:String}) AS formatted", query_params: { sql }, format: "JSONEachRow" });
        const [row] = await result.json<{ formatted: string }>();
        if (/^INSERT INTO/.test(row!.formatted)) expect(row!.formatted).not.toContain("ON CLUSTER");
        else expect(row!.formatted).toContain("ON CLUSTER analytics");
      }
    } finally {
      await ch.close();
    }
  });
});
