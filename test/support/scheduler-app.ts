// A migrated scratch environment and an app bootstrapped on it, for running scheduler jobs in the test process;
// what the app logs is parsed into `logs`.

import type { ClickHouseClient } from "@clickhouse/client";
import { type App, bootstrap } from "../../src/app/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { createLogger } from "../../src/logger.ts";
import type { ScheduledJob } from "../../src/workers/scheduler/scheduled-job.ts";
import { scheduledJobs } from "../../src/workers/scheduler/scheduler-jobs.ts";
import { expectSuccess, runPug } from "./pug-process.ts";
import { type ScratchEnv, scratchEnv } from "./scratch.ts";

export interface SchedulerTestApp {
  env: ScratchEnv;
  app: App;
  sql: Sql;
  ch: ClickHouseClient;
}

export async function schedulerTestApp(name: string, logs: Record<string, unknown>[]): Promise<SchedulerTestApp> {
  const env = { ...(await scratchEnv(name)), PUG_LOG_LEVEL: "warn" };
  expectSuccess(await runPug(["migrate"], env), "pug migrate");
  const { config } = loadConfig({ env, systemEnvFile: "/nonexistent/pug.env" });
  const app = bootstrap(config, { log: createLogger({ level: "info", write: (line) => logs.push(JSON.parse(line)) }) });
  return { env, app, sql: app.postgres(), ch: app.clickhouse() };
}

/** One of the scheduler's own jobs, by name. */
export const job = (name: string): ScheduledJob => scheduledJobs.find((j) => j.name === name)!;

/** `pug scheduler run …` as a process. */
export const schedulerRun = (env: ScratchEnv, args: string[]) => runPug(["scheduler", "run", ...args], env);
