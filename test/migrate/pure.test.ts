import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderStatement } from "../../src/domain/migrations/clickhouse-render.ts";
import { natsDeclarations } from "../../src/domain/migrations/nats-declarations.ts";
import { checksum, migrationsFrom, planMigrations } from "../../src/domain/migrations/plan.ts";
import { PROMOTED_COLUMNS } from "../../src/domain/properties/promoted-columns.ts";
import { splitStatements } from "../../src/domain/sql/statements.ts";
import { embeddedMigrations } from "../../src/migrate/embedded.ts";
import { VERSION } from "../../src/version.ts";

const root = join(import.meta.dir, "../..");

describe("embedded files", () => {
  test("every file under migrations/ is embedded, and nothing else", () => {
    for (const store of ["postgres", "clickhouse", "nats"] as const) {
      const onDisk = readdirSync(join(root, "migrations", store)).sort();
      expect(Object.keys(embeddedMigrations[store]).sort()).toEqual(onDisk);
      for (const name of onDisk) expect((embeddedMigrations[store] as Record<string, string>)[name]).toBe(readFileSync(join(root, "migrations", store, name), "utf8"));
    }
  });

  test("the version matches package.json", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
  });
});

describe("planMigrations", () => {
  test("pending, applied, edited and unknown migrations are told apart", async () => {
    const shipped = await migrationsFrom({ "0001_a.sql": "A", "0002_b.sql": "B", "0003_c.sql": "C" });
    const plan = planMigrations(shipped, [
      { name: "0001_a.sql", checksum: await checksum("A"), appliedAt: new Date(1) },
      { name: "0002_b.sql", checksum: await checksum("B changed"), appliedAt: new Date(2) },
      { name: "0009_z.sql", checksum: "x", appliedAt: new Date(3) },
    ]);
    expect(plan.pending.map((m) => m.name)).toEqual(["0003_c.sql"]);
    expect(plan.changed.map((c) => c.name)).toEqual(["0002_b.sql"]);
    expect(plan.unknown).toEqual(["0009_z.sql"]);
    expect(plan.status.map((s) => `${s.name}:${s.state}`)).toEqual(["0001_a.sql:applied", "0002_b.sql:changed", "0003_c.sql:pending", "0009_z.sql:unknown"]);
  });

  test("CRLF line endings do not change a checksum", async () => {
    expect(await checksum("a\r\nb")).toBe(await checksum("a\nb"));
  });

  test("badly named files are refused", async () => {
    await expect(migrationsFrom({ "1_a.sql": "" })).rejects.toThrow("must look like 0001_short_name.sql");
  });
});

describe("splitStatements", () => {
  test("splits on semicolons outside strings and comments", () => {
    expect(splitStatements("CREATE TABLE a (x String DEFAULT ';'); -- c;\n/* ; */ INSERT INTO a VALUES ('it''s;');\n;")).toEqual([
      "CREATE TABLE a (x String DEFAULT ';')",
      "-- c;\n/* ; */ INSERT INTO a VALUES ('it''s;')",
    ]);
  });
});

describe("renderStatement", () => {
  const create = `-- sharding_key: cityHash64(id)
    CREATE TABLE IF NOT EXISTS t (id UInt64, v UInt32, s String DEFAULT 'a(b') ENGINE = ReplacingMergeTree(v) ORDER BY id SETTINGS index_granularity = 8192`;

  test("a single node gets the statement as written", () => {
    expect(renderStatement(create, { database: "pug", cluster: undefined })).toEqual([create.trim()]);
  });

  test("a cluster gets a Replicated local table and a Distributed table in front", () => {
    const [local, distributed] = renderStatement(create, { database: "pug", cluster: "c1" });
    expect(local).toBe(
      "CREATE TABLE IF NOT EXISTS t_local ON CLUSTER 'c1' (id UInt64, v UInt32, s String DEFAULT 'a(b') ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/t_local', '{replica}', v) ORDER BY id SETTINGS index_granularity = 8192",
    );
    expect(distributed).toBe("CREATE TABLE IF NOT EXISTS t ON CLUSTER 'c1' AS t_local ENGINE = Distributed('c1', 'pug', 't_local', cityHash64(id))");
  });

  test("ALTER and DROP reach both tables where they must", () => {
    expect(renderStatement("ALTER TABLE t ADD COLUMN x UInt8", { database: "pug", cluster: "c1" })).toEqual([
      "ALTER TABLE t_local ON CLUSTER 'c1' ADD COLUMN x UInt8",
      "ALTER TABLE t ON CLUSTER 'c1' ADD COLUMN x UInt8",
    ]);
    expect(renderStatement("ALTER TABLE t DELETE WHERE x = 1", { database: "pug", cluster: "c1" })).toEqual(["ALTER TABLE t_local ON CLUSTER 'c1' DELETE WHERE x = 1"]);
    expect(renderStatement("DROP TABLE IF EXISTS t", { database: "pug", cluster: "c1" })).toEqual(["DROP TABLE IF EXISTS t ON CLUSTER 'c1'", "DROP TABLE IF EXISTS t_local ON CLUSTER 'c1'"]);
  });

  test("a table without a sharding key, or an unsupported statement, is refused for a cluster", () => {
    expect(() => renderStatement("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a", { database: "pug", cluster: "c1" })).toThrow("sharding_key");
    expect(() => renderStatement("CREATE VIEW v AS SELECT 1", { database: "pug", cluster: "c1" })).toThrow("only CREATE TABLE, ALTER TABLE, DROP TABLE, CREATE MATERIALIZED VIEW … TO and DROP VIEW");
  });

  test("a materialized view reads each shard's local table and writes TO the Distributed target", () => {
    const view = `-- counts per kind
      CREATE MATERIALIZED VIEW IF NOT EXISTS v_mv TO v AS
      SELECT project_id, kind, toUInt64(count()) AS n FROM events
      ARRAY JOIN mapKeys(m) AS k
      WHERE kind != 'FROM x' AND k != \`FROM y\`
      GROUP BY project_id, kind`;
    expect(renderStatement(view, { database: "pug", cluster: "c1" })).toEqual([
      `CREATE MATERIALIZED VIEW IF NOT EXISTS v_mv ON CLUSTER 'c1' TO v AS SELECT project_id, kind, toUInt64(count()) AS n FROM events_local
      ARRAY JOIN mapKeys(m) AS k
      WHERE kind != 'FROM x' AND k != \`FROM y\`
      GROUP BY project_id, kind`,
    ]);
    expect(renderStatement(view, { database: "pug", cluster: undefined })).toEqual([view.trim()]);
  });

  test("a view over a subquery reads the local table inside it; table functions and other databases are left alone", () => {
    const view = "CREATE MATERIALIZED VIEW v_mv TO v AS SELECT a FROM (SELECT a FROM events WHERE a IN (SELECT n FROM numbers(3)) AND b IN (SELECT b FROM other.t))";
    expect(renderStatement(view, { database: "pug", cluster: "c1" })).toEqual([
      "CREATE MATERIALIZED VIEW v_mv ON CLUSTER 'c1' TO v AS SELECT a FROM (SELECT a FROM events_local WHERE a IN (SELECT n FROM numbers(3)) AND b IN (SELECT b FROM other.t))",
    ]);
  });

  test("a view without TO, with a JOIN, or reading no table is refused for a cluster; DROP VIEW reaches every node", () => {
    const cluster = { database: "pug", cluster: "c1" };
    expect(() => renderStatement("CREATE MATERIALIZED VIEW v ENGINE = MergeTree ORDER BY a AS SELECT a FROM events", cluster)).toThrow("cannot render");
    expect(() => renderStatement("CREATE MATERIALIZED VIEW v AS SELECT a FROM events", cluster)).toThrow("must write TO a table");
    expect(() => renderStatement("CREATE MATERIALIZED VIEW v TO t AS SELECT a FROM events e LEFT JOIN profiles p ON e.a = p.a", cluster)).toThrow("a JOIN cannot be rendered");
    expect(() => renderStatement("CREATE MATERIALIZED VIEW v TO t AS SELECT number AS a FROM numbers(3)", cluster)).toThrow("no 'FROM <table>'");
    expect(renderStatement("DROP VIEW IF EXISTS v_mv", cluster)).toEqual(["DROP VIEW IF EXISTS v_mv ON CLUSTER 'c1'"]);
  });

  test("a backfill INSERT … SELECT runs once as written, through the Distributed tables", () => {
    const insert = "INSERT INTO usage_daily (project_id, day, events) SELECT project_id, toDate(received_at), count() FROM events GROUP BY 1, 2";
    expect(renderStatement(insert, { database: "pug", cluster: "c1" })).toEqual([insert]);
    expect(() => renderStatement("INSERT INTO t VALUES (1)", { database: "pug", cluster: "c1" })).toThrow("cannot render");
  });

  test("every statement of every ClickHouse migration renders for a cluster, each view reading local tables", () => {
    let views = 0;
    for (const text of Object.values(embeddedMigrations.clickhouse)) {
      for (const statement of splitStatements(text)) {
        const rendered = renderStatement(statement, { database: "pug", cluster: "c1" });
        // A backfill runs once, through the Distributed tables.
        if (/^INSERT INTO/m.test(rendered[0]!)) continue;
        expect(rendered.every((sql) => sql.includes("ON CLUSTER 'c1'"))).toBe(true);
        if (!/MATERIALIZED VIEW/.test(rendered[0]!)) continue;
        views++;
        expect(rendered[0]).toMatch(/\sFROM (events|profiles)_local\b/);
        expect(rendered[0]).not.toMatch(/\sFROM (events|profiles)\b(?!_local)/);
      }
    }
    expect(views).toBeGreaterThanOrEqual(7);
  });
});

describe("the filter schema's views", () => {
  const views = Object.fromEntries(
    splitStatements(embeddedMigrations.clickhouse["0005_filter_schema.sql"])
      .map((sql) => [/MATERIALIZED VIEW IF NOT EXISTS (\w+)/.exec(sql)?.[1], sql] as const)
      .filter(([name]) => name !== undefined),
  ) as Record<string, string>;
  const list = (text: string) => text.split(",").map((item) => item.trim().replace(/^'|'$/g, ""));
  const names = PROMOTED_COLUMNS.map((p) => p.name);
  const byName = (a: string[], b: string[]) => (a[0]! < b[0]! ? -1 : 1);

  test("take the promoted columns of src/domain/properties/promoted-columns.ts as keys, with their types", () => {
    const keys = views.property_keys_events_mv!;
    const setColumns = list(/\[(url != ''[^\]]*)\] AS set_columns/.exec(keys)![1]!).map((test) => /^(\w+) != /.exec(test)![1]);
    const typed = [...keys.matchAll(/\('(\$\w+)', toUInt8\((\d)\)\)/g)].map(([, name, type]) => [name, Number(type)]);
    expect(typed.map(([name, type], i) => [name, type, setColumns[i]])).toEqual(PROMOTED_COLUMNS.map((p) => [p.name, p.type, p.column]));
  });

  test("take every promoted column's values exactly once, from its column", () => {
    const events = views.property_values_events_mv!;
    const eventNames = list(/CAST\(mapKeys\(auto_properties\), 'Array\(String\)'\), \[([^\]]*)\]/.exec(events)![1]!);
    const eventColumns = list(/mapValues\(auto_properties\), \[([^\]]*)\]/.exec(events)![1]!);
    const clients = [...views.property_values_clients_mv!.matchAll(/\('(\$\w+)', (?:toString\((\w+)\)|if\((\w+) = 0, '', toString\(\w+\)\)|(\w+))\)/g)].map(([, name, a, b, c]) => [name!, (a ?? b ?? c)!]);
    const taken = [...eventNames.map((name, i) => [name, eventColumns[i]!]), ...clients];
    expect(taken.sort(byName)).toEqual(PROMOTED_COLUMNS.map((p) => [p.name, p.column as string]).sort(byName));
  });

  test("leave every promoted name out of auto_properties, for keys and for values", () => {
    expect(list(/NOT has\(\[([^\]]*)\], k\)/.exec(views.property_keys_events_mv!)![1]!)).toEqual(names);
    expect(list(/key IN \(([^)]*)\)/.exec(views.property_values_events_mv!)![1]!)).toEqual(names);
  });
});

describe("natsDeclarations", () => {
  test("names carry the prefix, every stream gets a dead-letter twin, replicas apply everywhere", async () => {
    const files = Object.entries(embeddedMigrations.nats).map(([name, text]) => ({ name, text }));
    const declared = natsDeclarations(files, "acme", 3);
    expect(declared.streams.map((s) => s.name).sort()).toEqual([
      "acme_compliance", "acme_compliance_dlq", "acme_email", "acme_email_dlq", "acme_events", "acme_events_dlq", "acme_profiles", "acme_profiles_dlq",
    ]);
    expect(declared.streams.every((s) => s.num_replicas === 3 && s.storage === "file")).toBe(true);
    const events = declared.streams.find((s) => s.name === "acme_events")!;
    expect(events).toMatchObject({ subjects: ["acme.events.>"], retention: "workqueue", discard: "new", max_age: 7 * 86400e9, max_bytes: 10 * 2 ** 30 });
    expect(declared.streams.every((s) => s.max_bytes > 0 && s.max_age > 0)).toBe(true);
    expect(declared.consumers.every((c) => c.ack_policy === "explicit")).toBe(true);
    // 5 attempts each, but mail: 25 (0003), so that retries span hours.
    expect(Object.fromEntries(declared.consumers.map((c) => [c.durable_name, c.max_deliver]))).toEqual({ "events-worker": 5, "profile-worker": 5, "email-worker": 25, "compliance-worker": 5 });
    expect(declared.consumers.find((c) => c.durable_name === "events-worker")).toMatchObject({ stream: "acme_events", filter_subject: "acme.events.>" });
  });

  test("an installation's stream limits replace the declared ones, and an unknown stream is refused", () => {
    const files = Object.entries(embeddedMigrations.nats).map(([name, text]) => ({ name, text }));
    const declared = natsDeclarations(files, "acme", 1, { events: { maxBytes: 1000, maxAge: "1h" } });
    expect(declared.streams.find((s) => s.name === "acme_events")).toMatchObject({ max_bytes: 1000, max_age: 3600e9 });
    expect(declared.streams.find((s) => s.name === "acme_profiles")).toMatchObject({ max_bytes: 2 * 2 ** 30 });
    expect(() => natsDeclarations(files, "acme", 1, { event: { maxBytes: 1, maxAge: "1h" } })).toThrow("PUG_NATS_STREAM_LIMITS names 'event', which is not a stream");
  });

  test("a malformed declaration names the file and the field", () => {
    expect(() => natsDeclarations([{ name: "0002_x.json", text: '{"streams":[{"name":"x","retention":"forever"}]}' }], "p", 1)).toThrow("0002_x.json: streams.0.retention");
    expect(() => natsDeclarations([{ name: "0002_x.json", text: "{" }], "p", 1)).toThrow("0002_x.json: not valid JSON");
  });
});
