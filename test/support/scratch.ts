// Scratch stores inside this run: a fresh Postgres database, ClickHouse database, NATS prefix and Redis prefix
// named after the run, for tests that need a store nobody migrated yet. The run's cleanup removes them too.

import { createPostgres, withDatabase } from "../../src/infra/postgres.ts";
import { testEnv } from "./test-env.ts";

export type ScratchEnv = Record<string, string> & {
  DATABASE_URL: string;
  CLICKHOUSE_URL: string;
  CLICKHOUSE_DATABASE: string;
  NATS_URL: string;
  PUG_NATS_PREFIX: string;
  REDIS_URL: string;
  PUG_REDIS_PREFIX: string;
};

/** Signs dashboard tokens in every test stack; tests sign their own tokens with it too. */
export const TEST_JWT_SECRET = "test-secret-of-the-pug-test-suite-0123456789";
/** The dashboard origin every test stack allows (PUG_CORS_ORIGINS). */
export const TEST_DASHBOARD_ORIGIN = "http://dashboard.test:5173";

export async function scratchEnv(name: string): Promise<ScratchEnv> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`scratch name '${name}': lower-case letters, digits and _ only`);
  const env = testEnv();
  const database = `pug_test_${env.runId}_${name}`;
  const admin = createPostgres({ url: env.adminDatabaseUrl, maxConnections: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    DATABASE_URL: withDatabase(env.adminDatabaseUrl, database),
    CLICKHOUSE_URL: env.clickhouseUrl,
    CLICKHOUSE_DATABASE: database,
    NATS_URL: env.natsUrl,
    PUG_NATS_PREFIX: `${env.natsPrefix}_${name}`,
    REDIS_URL: env.redisUrl,
    PUG_REDIS_PREFIX: `${env.redisPrefix}:${name}`,
    PUG_JWT_SECRET_KEY: TEST_JWT_SECRET,
    PUG_CORS_ORIGINS: TEST_DASHBOARD_ORIGIN,
  };
}
