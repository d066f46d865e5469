// The resources of this test run, named by the preload: its own Postgres database, ClickHouse database, NATS
// prefix and Redis key prefix. Tests read them from here and never hard-code names.

export const infraDefaults = {
  databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres",
  clickhouseUrl: "http://127.0.0.1:8123",
  natsUrl: "nats://127.0.0.1:4222",
  redisUrl: "redis://127.0.0.1:6379",
};

/**
 * JetStream reserves every stream's max_bytes on disk when the stream is made; at the shipped sizes (~16 GiB per
 * installation) a few test stacks side by side would exhaust the shared server's storage.
 */
export const TEST_STREAM_LIMITS = ["events", "profiles", "email", "compliance"].flatMap((s) => [`${s}=64MiB/7d`, `${s}_dlq=16MiB/30d`]).join(",");

export interface TestEnv {
  runId: string;
  /** Points at this run's own database. */
  databaseUrl: string;
  /** Points at the server's maintenance database, for creating and dropping run databases. */
  adminDatabaseUrl: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  natsUrl: string;
  natsPrefix: string;
  redisUrl: string;
  redisPrefix: string;
}

export function testEnv(): TestEnv {
  const env = process.env;
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set: run tests through \`bun test\` so test/support/preload.ts runs`);
    return value;
  };
  return {
    runId: need("PUG_TEST_RUN_ID"),
    databaseUrl: need("DATABASE_URL"),
    adminDatabaseUrl: need("PUG_TEST_ADMIN_DATABASE_URL"),
    clickhouseUrl: need("CLICKHOUSE_URL"),
    clickhouseDatabase: need("CLICKHOUSE_DATABASE"),
    natsUrl: need("NATS_URL"),
    natsPrefix: need("PUG_NATS_PREFIX"),
    redisUrl: need("REDIS_URL"),
    redisPrefix: need("PUG_REDIS_PREFIX"),
  };
}
