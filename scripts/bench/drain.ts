// How fast `pug worker events` drains a backlog, and how much memory it takes doing so: `pug server` alone queues
// the events (batches of 50, as the SDK sends them), stops, and then the worker alone writes them to ClickHouse.
// Reports events/s from the worker's start to the last row queryable, its CPU seconds and its peak RSS.
// Uses its own database, ClickHouse database and NATS prefix, and removes them afterwards.
//   bun scripts/bench/drain.ts [--events 300000] [--concurrency 16] [--worker-bun-args=--smol]

import { parseArgs } from "node:util";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { partitionStream } from "../../src/domain/ingest/event-partitions.ts";
import { discoverEventPartitions } from "../../src/infra/event-partition-streams.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { freePort } from "../../test/support/ports.ts";
import { type RunningPug, startPug, waitForHttp } from "../../test/support/pug-process.ts";
import { batchBody, sdkEvent, sdkRequest } from "../../test/support/sdk-events.ts";
import { benchProject, benchStores, cpuSeconds, rssMb } from "./bench-stores.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "300000" }, concurrency: { type: "string", default: "16" }, "worker-bun-args": { type: "string", default: "" } } });
const totalEvents = Number(values.events);
const BATCH = 50;

const stores = await benchStores(`pug_bench_drain_${process.pid}`);
const env = { ...stores.env, PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_EPS: "0", PUG_WORKER_HEALTH_ADDR: "off" };

const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
const running: RunningPug[] = [];
try {
  const project = await benchProject(env);

  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startPug(["server"], { ...env, PUG_SERVER_PORT: String(port) });
  running.push(server);
  await waitForHttp(`${base}/readyz`);
  const batches = Math.ceil(totalEvents / BATCH);
  let next = 0;
  const queueStarted = performance.now();
  await Promise.all(Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < batches) {
      next++;
      const response = await sdkRequest(base, project.publicKey, batchBody(Array.from({ length: BATCH }, () => sdkEvent(project.projectId))));
      if (response.status !== 200) throw new Error(`queueing: ${response.status} ${await response.text()}`);
    }
  }));
  console.log(`queued ${(batches * BATCH).toLocaleString()} events in ${((performance.now() - queueStarted) / 1000).toFixed(1)} s`);
  await server.stop();
  const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
  const backlog = { messages: 0, bytes: 0 };
  for (let index = 0, count = await discoverEventPartitions(nats); index < count; index++) {
    const { state } = await nats.jsm.streams.info(nats.names.stream(partitionStream(index)));
    backlog.messages += state.messages;
    backlog.bytes += state.bytes;
  }
  await nats.close();
  console.log(`backlog: ${backlog.messages.toLocaleString()} messages, ${(backlog.bytes / 1024 / 1024).toFixed(0)} MiB in JetStream`);

  const count = async () => Number((await (await ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" })).json<{ n: string }>())[0]!.n);
  const started = performance.now();
  const worker = startPug(["worker", "events"], env, { bunArgs: values["worker-bun-args"].split(" ").filter(Boolean) });
  running.push(worker);
  let peakRss = 0;
  let cpu = 0;
  for (;;) {
    try {
      peakRss = Math.max(peakRss, rssMb(worker.proc.pid));
      cpu = cpuSeconds(worker.proc.pid);
    } catch {
      throw new Error(`the worker exited: ${worker.output()}`);
    }
    if ((await count()) >= batches * BATCH) break;
    if (performance.now() - started > 600_000) throw new Error("not drained after 10 minutes");
    await Bun.sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`drained ${(batches * BATCH).toLocaleString()} events in ${seconds.toFixed(1)} s = ${Math.round((batches * BATCH) / seconds).toLocaleString()} events/s (worker start included); worker CPU ${cpu.toFixed(1)} s (${((cpu / (batches * BATCH)) * 1e6).toFixed(1)} µs/event), peak RSS ${peakRss.toFixed(0)} MB`);
  await worker.stop();
} finally {
  await Promise.all(running.map((proc) => proc.stop()));
  await ch.close();
  await stores.cleanup();
}
