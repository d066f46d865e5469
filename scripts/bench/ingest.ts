// Ingestion figures on `pug dev` and the dev infrastructure of this machine:
//  1. sustained end-to-end throughput with batches of 50 (first send → all rows queryable), with the
//     event → queryable latency of every batch (p50/p95);
//  2. single-event requests: request rate and ack latency p50/p95/p99;
//  3. where the time went: CPU seconds per process, ClickHouse insert time from the worker's metrics.
// Uses its own database, ClickHouse database and NATS prefix, and removes them afterwards.
//   bun scripts/bench/ingest.ts [--events 200000] [--concurrency 32] [--single 20000] [--profile DIR]

import { parseArgs } from "node:util";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { freePort } from "../../test/support/ports.ts";
import { type RunningPug, startPug, waitForHttp } from "../../test/support/pug-process.ts";
import { batchBody, sdkEvent, sdkRequest } from "../../test/support/sdk-events.ts";
import { benchProject, benchStores, cpuSeconds } from "./bench-stores.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "200000" }, concurrency: { type: "string", default: "32" }, single: { type: "string", default: "20000" }, profile: { type: "string" } } });
const totalEvents = Number(values.events);
const concurrency = Number(values.concurrency);
const singleRequests = Number(values.single);
const BATCH = 50;

const stores = await benchStores(`pug_bench_ingest_${process.pid}`);
const env = {
  ...stores.env,
  PUG_RATE_LIMIT_IP_RPS: "0",
  PUG_RATE_LIMIT_PROJECT_EPS: "0",
  PUG_EVENTS_BATCH_MAX: "20000",
  PUG_EVENTS_BATCH_WAIT_MS: "500",
  // auto (the default), single (every role in one process, as before), or counts like server=2,events=1.
  PUG_DEV_PROCESSES: process.env.PUG_DEV_PROCESSES ?? "auto",
};

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const pidsOf = (pattern: string) =>
  Bun.spawnSync(["pgrep", "-f", pattern]).stdout.toString().trim().split("\n").filter(Boolean).map(Number).filter((pid) => pid !== process.pid);

const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
let dev: RunningPug | undefined;
try {
  const project = await benchProject(env);
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  // --profile DIR writes a CPU profile of pug dev (markdown, one file) when it exits.
  const bunArgs = values.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${values.profile}`] : [];
  const admin = `http://127.0.0.1:${freePort()}`;
  dev = startPug(["dev"], { ...env, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: new URL(admin).host }, { bunArgs });
  await waitForHttp(`${base}/readyz`);
  const count = async () => Number((await (await ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" })).json<{ n: string }>())[0]!.n);

  const processes: Record<string, number[]> = {
    "pug dev": [dev.proc.pid],
    "clickhouse-dev": pidsOf("clickhouse-dev/main.ts"),
    "nats-server": pidsOf("nats-server"),
    "redis-server": pidsOf("redis-server"),
    postgres: pidsOf("postgres"),
  };
  // pug dev's child processes (none with PUG_DEV_PROCESSES=single), by the name it gives them.
  for (const line of Bun.spawnSync(["ps", "-o", "pid=,args=", "--ppid", String(dev.proc.pid)]).stdout.toString().trim().split("\n").filter(Boolean)) {
    const name = /--child (\S+)/.exec(line)?.[1];
    if (name) processes[`pug dev ${name}`] = [Number(line.trim().split(/\s+/)[0])];
  }
  const cpuNow = () => Object.fromEntries(Object.entries(processes).map(([k, pids]) => [k, pids.reduce((sum, pid) => { try { return sum + cpuSeconds(pid); } catch { return sum; } }, 0)]));

  // 1. sustained throughput, batches of 50
  const batches = Math.ceil(totalEvents / BATCH);
  const bodies = Array.from({ length: batches }, () => batchBody(Array.from({ length: BATCH }, () => sdkEvent(project.projectId))));
  const sentAt: number[] = new Array(batches);
  const cpuBefore = cpuNow();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < batches) {
      const i = next++;
      sentAt[i] = performance.now();
      const response = await sdkRequest(base, project.publicKey, bodies[i]!);
      if (response.status !== 200) throw new Error(`batch ${i}: ${response.status} ${await response.text()}`);
    }
  }));
  const acked = performance.now();
  // Rows become visible in stream order, which is (nearly) send order: batch i is visible once count > i*50.
  const visibleAt: number[] = [];
  while (visibleAt.length < batches) {
    const n = await count();
    const now = performance.now();
    while (visibleAt.length < batches && n >= (visibleAt.length + 1) * BATCH) visibleAt.push(now);
    if (performance.now() - acked > 300_000) throw new Error(`only ${n} of ${totalEvents} events stored after 5 minutes`);
    await Bun.sleep(50);
  }
  const done = visibleAt.at(-1)!;
  const cpuAfter = cpuNow();
  const latencies = visibleAt.map((t, i) => t - sentAt[i]!).sort((a, b) => a - b);
  console.log(`sustained, batches of ${BATCH}, ${concurrency} in flight: ${totalEvents.toLocaleString()} events acked in ${((acked - started) / 1000).toFixed(1)} s (${Math.round(totalEvents / ((acked - started) / 1000)).toLocaleString()} events/s accepted), all queryable after ${((done - started) / 1000).toFixed(1)} s = ${Math.round(totalEvents / ((done - started) / 1000)).toLocaleString()} events/s end to end`);
  console.log(`event → queryable: p50 ${(pct(latencies, 0.5) / 1000).toFixed(2)} s, p95 ${(pct(latencies, 0.95) / 1000).toFixed(2)} s, max ${(latencies.at(-1)! / 1000).toFixed(2)} s`);
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  const metric = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
  const insertSeconds = metric(/pug_writer_insert_seconds_sum\{table="events"\} ([\d.e+-]+)/);
  const inserts = metric(/pug_writer_insert_seconds_count\{table="events"\} (\d+)/);
  console.log(`where the time went (CPU seconds during the run, wall ${((done - started) / 1000).toFixed(1)} s on ${navigator.hardwareConcurrency} cores): ${Object.keys(cpuAfter).map((k) => `${k} ${(cpuAfter[k]! - cpuBefore[k]!).toFixed(1)}`).join(", ")}; ClickHouse inserts ${inserts} taking ${insertSeconds.toFixed(1)} s in total (${(totalEvents / insertSeconds).toFixed(0)} rows/s while inserting)`);

  // 2. single-event requests
  const single = Array.from({ length: Math.min(singleRequests, 5000) }, () => batchBody([sdkEvent(project.projectId)]));
  const ack: number[] = [];
  let sent = 0;
  const singleStarted = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < singleRequests) {
      const body = single[sent++ % single.length]!;
      const t = performance.now();
      const response = await sdkRequest(base, project.publicKey, body);
      ack.push(performance.now() - t);
      if (response.status !== 200) throw new Error(`single: ${response.status} ${await response.text()}`);
    }
  }));
  const singleSeconds = (performance.now() - singleStarted) / 1000;
  ack.sort((a, b) => a - b);
  console.log(`single-event requests, ${concurrency} in flight: ${Math.round(singleRequests / singleSeconds).toLocaleString()} req/s; ack latency p50 ${pct(ack, 0.5).toFixed(1)} ms, p95 ${pct(ack, 0.95).toFixed(1)} ms, p99 ${pct(ack, 0.99).toFixed(1)} ms (repeated bodies are JetStream duplicates after the first ${single.length.toLocaleString()})`);
} finally {
  await dev?.stop();
  await ch.close();
  await stores.cleanup();
}
