// Stores of a benchmark's own on the dev infrastructure: a Postgres database, ClickHouse database, NATS prefix
// and Redis prefix named after the run, and a cleanup that removes them.

import { readFileSync } from "node:fs";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { createPostgres, withDatabase } from "../../src/infra/postgres.ts";
import { type CreatedProject, createProject } from "../../src/server/projects.ts";
import { expectSuccess, runPug } from "../../test/support/pug-process.ts";
import { infraDefaults } from "../../test/support/test-env.ts";

export async function benchStores(name: string) {
  const adminUrl = process.env.DATABASE_URL ?? infraDefaults.databaseUrl;
  const env = {
    DATABASE_URL: withDatabase(adminUrl, name),
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? infraDefaults.clickhouseUrl,
    CLICKHOUSE_DATABASE: name,
    NATS_URL: process.env.NATS_URL ?? infraDefaults.natsUrl,
    PUG_NATS_PREFIX: name,
    REDIS_URL: process.env.REDIS_URL ?? infraDefaults.redisUrl,
    PUG_REDIS_PREFIX: name,
    PUG_LOG_LEVEL: "warn",
    // Room for the backlog a benchmark builds (the events size is shared by its partitions); JetStream reserves each
    // stream's max_bytes on disk up front.
    PUG_NATS_STREAM_LIMITS: ["events=4GiB/1d", ...["profiles", "email", "compliance"].map((s) => `${s}=256MiB/1d`), ...["events", "profiles", "email", "compliance"].map((s) => `${s}_dlq=256MiB/1d`)].join(","),
  };
  const admin = createPostgres({ url: adminUrl, maxConnections: 1 });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  return {
    env,
    async cleanup() {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
      const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: "default" });
      await ch.command({ query: `DROP DATABASE IF EXISTS \`${name}\`` });
      await ch.close();
      const nats = await connectNats({ url: env.NATS_URL, prefix: name });
      for await (const stream of nats.jsm.streams.names()) if (stream.startsWith(name + "_")) await nats.jsm.streams.delete(stream);
      await nats.close();
    },
  };
}

/** Migrates a benchmark's stores and creates the project it sends events to. */
export async function benchProject(env: Record<string, string>): Promise<CreatedProject> {
  expectSuccess(await runPug(["migrate"], env));
  const sql = createPostgres({ url: env.DATABASE_URL!, maxConnections: 1 });
  try {
    return await createProject(sql, "bench");
  } finally {
    await sql.end();
  }
}

const procStat = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
/** CPU seconds (user + system) a process has used so far. */
export const cpuSeconds = (pid: number) => (Number(procStat(pid)[11]) + Number(procStat(pid)[12])) / 100;
/** A process's resident memory now, in MB. */
export const rssMb = (pid: number) => (Number(procStat(pid)[21]) * 4096) / 1024 / 1024;
