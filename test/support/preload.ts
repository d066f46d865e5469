// Runs before any test file: names this run's resources, exports them through the environment the product's
// config reads, creates them before the first test and removes them after the last.

import { afterAll, beforeAll, setDefaultTimeout } from "bun:test";
import { withDatabase } from "../../src/infra/postgres.ts";
import { createRunResources, removeRunResources } from "./run-resources.ts";
import { infraDefaults, TEST_STREAM_LIMITS, testEnv } from "./test-env.ts";

const env = process.env;
const runId = `${Date.now().toString(36)}_${process.pid}`;
const adminUrl = env.PUG_TEST_ADMIN_DATABASE_URL ?? env.DATABASE_URL ?? infraDefaults.databaseUrl;

Object.assign(env, {
  PUG_TEST_RUN_ID: runId,
  PUG_TEST_ADMIN_DATABASE_URL: adminUrl,
  DATABASE_URL: withDatabase(adminUrl, `pug_test_${runId}`),
  CLICKHOUSE_URL: env.CLICKHOUSE_URL ?? infraDefaults.clickhouseUrl,
  CLICKHOUSE_DATABASE: `pug_test_${runId}`,
  NATS_URL: env.NATS_URL ?? infraDefaults.natsUrl,
  PUG_NATS_PREFIX: `pugtest_${runId}`,
  REDIS_URL: env.REDIS_URL ?? infraDefaults.redisUrl,
  PUG_REDIS_PREFIX: `pugtest:${runId}`,
  PUG_NATS_STREAM_LIMITS: TEST_STREAM_LIMITS,
});

// Tests wait on real servers; a hung one should fail its test, not the whole run.
setDefaultTimeout(60_000);

beforeAll(async () => {
  await createRunResources(testEnv());
});

afterAll(async () => {
  await removeRunResources(testEnv());
});
