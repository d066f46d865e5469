// Creates and removes the per-run databases, streams and keys. Names embed the creating process's pid and a
// timestamp, so leftovers of a run that was killed are recognised and swept by the next one.

import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createRedis } from "../../src/infra/redis.ts";
import type { TestEnv } from "./test-env.ts";

// `pug_test_<start, base 36>_<pid>`, optionally followed by `_<scratch name>`.
const runName = /^pug_?test_([0-9a-z]+)_(\d+)(_[a-z0-9_]+)?$/;
const maxAgeMs = 6 * 3600_000;

/** True when the run that owns `name` is over: its process is gone, or it is hours old. */
export function isAbandoned(name: string, now = Date.now()): boolean {
  const match = runName.exec(name);
  if (!match) return false;
  const started = parseInt(match[1]!, 36);
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  if (now - started > maxAgeMs) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function reachable<T>(what: string, url: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    throw new Error(`${what} at ${url} is not usable (${(error as Error).message}). Start the dev infrastructure with \`scripts/infra up\`, or run the suite with \`scripts/test\`.`);
  }
}

export async function createRunResources(env: TestEnv): Promise<void> {
  const admin = createPostgres({ url: env.adminDatabaseUrl, maxConnections: 1 });
  try {
    const rows = await reachable("Postgres", env.adminDatabaseUrl, () => admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'pug_test_%'`);
    for (const { datname } of rows) if (isAbandoned(datname)) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${databaseName(env)}"`);
  } finally {
    await admin.end();
  }

  const ch = createClickHouse({ url: env.clickhouseUrl, database: "default" });
  try {
    const result = await reachable("ClickHouse", env.clickhouseUrl, () => ch.query({ query: "SELECT name FROM system.databases WHERE name LIKE 'pug_test_%'", format: "JSONEachRow" }));
    for (const { name } of await result.json<{ name: string }>()) if (isAbandoned(name)) await ch.command({ query: `DROP DATABASE IF EXISTS \`${name}\`` });
    await ch.command({ query: `CREATE DATABASE \`${env.clickhouseDatabase}\`` });
  } finally {
    await ch.close();
  }

  const nats = await reachable("NATS", env.natsUrl, () => connectNats({ url: env.natsUrl, prefix: env.natsPrefix }));
  try {
    for await (const name of nats.jsm.streams.names()) {
      const owner = /^(pugtest_[0-9a-z]+_\d+)_/.exec(name)?.[1];
      if (owner && isAbandoned(owner.replace("pugtest_", "pug_test_"))) await nats.jsm.streams.delete(name);
    }
  } finally {
    await nats.close();
  }

  const redis = createRedis({ url: env.redisUrl, prefix: env.redisPrefix });
  try {
    await reachable("Redis", env.redisUrl, async () => {
      await redis.connect();
      await redis.client.ping();
    });
  } finally {
    redis.close();
  }
}

export async function removeRunResources(env: TestEnv): Promise<void> {
  const failures: string[] = [];
  const attempt = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  };

  await attempt("Postgres", async () => {
    const admin = createPostgres({ url: env.adminDatabaseUrl, maxConnections: 1 });
    try {
      const own = await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname = ${databaseName(env)} OR datname LIKE ${databaseName(env) + "\\_%"}`;
      for (const { datname } of own) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
  await attempt("ClickHouse", async () => {
    const ch = createClickHouse({ url: env.clickhouseUrl, database: "default" });
    try {
      const result = await ch.query({ query: "SELECT name FROM system.databases WHERE name = {db:String} OR startsWith(name, {scratch:String})", query_params: { db: env.clickhouseDatabase, scratch: env.clickhouseDatabase + "_" }, format: "JSONEachRow" });
      for (const { name } of await result.json<{ name: string }>()) await ch.command({ query: `DROP DATABASE IF EXISTS \`${name}\` SYNC` });
    } finally {
      await ch.close();
    }
  });
  await attempt("NATS", async () => {
    const nats = await connectNats({ url: env.natsUrl, prefix: env.natsPrefix });
    try {
      for await (const name of nats.jsm.streams.names()) {
        if (name.startsWith(env.natsPrefix + "_")) await nats.jsm.streams.delete(name);
      }
    } finally {
      await nats.close();
    }
  });
  await attempt("Redis", async () => {
    const redis = createRedis({ url: env.redisUrl, prefix: env.redisPrefix });
    try {
      await redis.connect();
      await deleteKeys(redis.client, env.redisPrefix + ":*");
    } finally {
      redis.close();
    }
  });
  if (failures.length > 0) throw new Error(`could not remove this run's resources:\n  ${failures.join("\n  ")}`);
}

async function deleteKeys(client: import("bun").RedisClient, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = (await client.send("SCAN", [cursor, "MATCH", pattern, "COUNT", "500"])) as [string, string[]];
    cursor = next;
    if (keys.length > 0) await client.send("DEL", keys);
  } while (cursor !== "0");
}

function databaseName(env: TestEnv): string {
  return decodeURIComponent(new URL(env.databaseUrl).pathname.slice(1));
}
