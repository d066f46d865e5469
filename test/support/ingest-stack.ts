// A running intake for tests: scratch stores, migrations, a project with keys, `pug server` and (optionally)
// `pug worker events` as real processes, plus helpers to read what reached NATS and ClickHouse.

import type { ClickHouseClient } from "@clickhouse/client";
import { expect } from "bun:test";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { discoverEventPartitions } from "../../src/infra/event-partition-streams.ts";
import { connectNats, type Nats } from "../../src/infra/nats.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject } from "../../src/server/projects.ts";
import { freePort, waitFor } from "./ports.ts";
import { queuedInPartitions } from "./partition-load.ts";
import { sendLoad } from "./sdk-events.ts";
import { expectSuccess, type RunningPug, runPug, startPug, waitForHttp } from "./pug-process.ts";
import { type ScratchEnv, scratchEnv } from "./scratch.ts";

export interface IngestStack {
  env: ScratchEnv & Record<string, string>;
  baseUrl: string;
  /** The server's admin listener: /metrics. */
  adminUrl: string;
  projectId: string;
  publicKey: string;
  privateKey: string;
  server: RunningPug;
  worker: RunningPug | undefined;
  /** The running worker's /healthz, /readyz and /metrics. */
  workerUrl: string;
  ch: ClickHouseClient;
  nats: Nats;
  /** The events partition count, as migrated. */
  partitions: number;
  /** Starts `pug worker events`; resolves once it pulls from its consumer (unless `waitUntilPulling` is false). */
  startWorker(extra?: Record<string, string>, waitUntilPulling?: boolean): Promise<RunningPug>;
  /** Messages currently in this stack's events streams (every partition). */
  queued(): Promise<number>;
  /** Rows in this stack's events table (no FINAL: duplicates would show). */
  stored(where?: string): Promise<{ rows: number; ids: number }>;
  stop(): Promise<void>;
}

export async function ingestStack(name: string, options: { worker?: boolean; env?: Record<string, string> } = {}): Promise<IngestStack> {
  const env = { ...(await scratchEnv(name)), PUG_LOG_LEVEL: "warn", PUG_EVENTS_BATCH_WAIT_MS: "200", ...options.env };
  expectSuccess(await runPug(["migrate"], env), "pug migrate");
  const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
  const project = await createProject(sql, `test ${name}`).finally(() => sql.end());

  const port = freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const adminPort = freePort();
  const server = startPug(["server"], { ...env, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: `127.0.0.1:${adminPort}` });
  await waitForHttp(`${baseUrl}/readyz`);

  const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
  // Fixed by the migrate above; asked once, so counting the queue is plain stream lookups.
  const partitions = await discoverEventPartitions(nats);
  const workers: RunningPug[] = [];
  const stack: IngestStack = {
    env,
    partitions,
    baseUrl,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    ...project,
    server,
    worker: undefined,
    workerUrl: "",
    ch,
    nats,
    async startWorker(extra = {}, waitUntilPulling = true) {
      const healthPort = freePort();
      const worker = startPug(["worker", "events"], { ...env, PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${healthPort}`, ...extra });
      workers.push(worker);
      // Ready once it waits on partition 0's consumer with a pull request. A worker started after one was killed
      // may take that partition only once the dead one drops out of the live count (a few seconds).
      if (waitUntilPulling) await waitFor("the events worker to pull from its consumer", async () => {
        if (worker.proc.exitCode !== null) throw new Error(`worker exited: ${worker.output()}`);
        return (await nats.jsm.consumers.info(nats.names.stream("events"), "events-worker")).num_waiting > 0;
      }, 30_000);
      stack.worker = worker;
      stack.workerUrl = `http://127.0.0.1:${healthPort}`;
      return worker;
    },
    async queued() {
      return await queuedInPartitions(nats, partitions);
    },
    async stored(where = "1") {
      const result = await ch.query({ query: `SELECT count() AS rows, uniqExact(event_id) AS ids FROM events WHERE ${where}`, format: "JSONEachRow" });
      const [row] = await result.json<{ rows: string; ids: string }>();
      return { rows: Number(row!.rows), ids: Number(row!.ids) };
    },
    async stop() {
      await Promise.all([server.stop(), ...workers.map((worker) => worker.stop())]);
      await ch.close();
      await nats.close();
    },
  };
  if (options.worker) await stack.startWorker();
  return stack;
}

/** Every accepted id is in ClickHouse exactly once, nothing else is, and the stream has been emptied. */
export async function expectExactlyOnce(stack: IngestStack, accepted: Set<string>, timeoutMs = 90_000, emptiedWithinMs = 10_000): Promise<void> {
  await waitFor(`${accepted.size} events in ClickHouse`, async () => (await stack.stored()).ids >= accepted.size, timeoutMs);
  await Bun.sleep(1_000);
  const stored = await stack.stored();
  if (stored.rows !== stored.ids) console.error("rows stored more than once:", await duplicateRows(stack));
  expect(stored).toEqual({ rows: accepted.size, ids: accepted.size });
  const result = await stack.ch.query({ query: "SELECT toString(event_id) AS id FROM events", format: "JSONCompactEachRow" });
  const ids = new Set((await result.json<[string]>()).map(([id]) => id));
  expect([...accepted].filter((id) => !ids.has(id))).toEqual([]);
  await waitFor("the events stream emptied", async () => (await stack.queued()) === 0, emptiedWithinMs);
  // A write's filter schema is inserted before its messages are acknowledged: it counts each event once too.
  expect(await namedEvents(stack)).toBe(accepted.size);
}

/** The events of the stack's project counted in event_names (the filter schema the events worker writes). */
export async function namedEvents(stack: IngestStack): Promise<number> {
  const result = await stack.ch.query({ query: "SELECT sum(count) AS n FROM event_names WHERE project_id = {project:UUID}", query_params: { project: stack.projectId }, format: "JSONEachRow" });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

/** Which parts hold an event id stored twice, for the failure message: which write repeated it. */
async function duplicateRows(stack: IngestStack): Promise<unknown[]> {
  const result = await stack.ch.query({
    query: `SELECT toString(event_id) AS id, groupArray(_part) AS parts FROM events
            GROUP BY event_id HAVING count() > 1 ORDER BY id LIMIT 20`,
    format: "JSONEachRow",
  });
  return await result.json();
}

/** SDK traffic that goes on in the background while a test breaks things. */
export interface BackgroundLoad {
  /** Waits until `more` rows beyond those stored now reach ClickHouse: the pipeline is moving. */
  progress(what: string, more: number, timeoutMs?: number): Promise<void>;
  /** Stops sending; resolves with the id of every event answered 200. */
  stop(): Promise<Set<string>>;
}

export function backgroundLoad(stack: IngestStack, options: { size: number; pauseMs: number }): BackgroundLoad {
  let sending = true;
  const load = sendLoad(stack.baseUrl, stack.publicKey, stack.projectId, { batches: 0, concurrency: 2, ...options, until: () => !sending });
  return {
    async progress(what, more, timeoutMs = 60_000) {
      const now = (await stack.stored()).rows;
      await waitFor(what, async () => (await stack.stored()).rows > now + more, timeoutMs);
    },
    stop() {
      sending = false;
      return load;
    },
  };
}
