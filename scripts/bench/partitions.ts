// Do more `pug worker events` instances drain more? Queues a backlog straight into the events partitions (as
// intake would: each person's events in their partition, IngestBatch messages of 50 events), then starts N workers
// together and times them until every event is queryable; once for each N given, on fresh stores each time.
// Reports events/s (worker start included), the workers' CPU seconds per event and their peak RSS.
//   bun scripts/bench/partitions.ts [--events 200000] [--workers 1,2] [--partitions 4]

import { parseArgs } from "node:util";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { publishPartitioned, queuedInPartitions } from "../../test/support/partition-load.ts";
import { type RunningPug, startPug } from "../../test/support/pug-process.ts";
import { workerUnitEnv } from "./lib/pug-checkout.ts";
import { benchProject, benchStores, cpuSeconds, rssMb } from "./bench-stores.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "200000" }, workers: { type: "string", default: "1,2" }, partitions: { type: "string", default: "4" } } });
const BATCH = 50;
const batches = Math.ceil(Number(values.events) / BATCH);
const total = batches * BATCH;
const partitions = Number(values.partitions);

for (const workerCount of values.workers.split(",").map(Number)) {
  const stores = await benchStores(`pug_bench_parts_${process.pid}_${workerCount}`);
  const env = { ...stores.env, PUG_EVENTS_PARTITIONS: String(partitions), PUG_WORKER_HEALTH_ADDR: "off" };
  const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  const running: RunningPug[] = [];
  try {
    const project = await benchProject(env);
    const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
    const queueStarted = performance.now();
    const load = await publishPartitioned(nats, project.projectId, { batches, size: BATCH, partitions, concurrency: 16 });
    const queued = await queuedInPartitions(nats, partitions);
    await nats.close();
    console.log(`${workerCount} worker(s): queued ${total.toLocaleString()} events (${queued} messages, per partition ${load.perPartition.join("/")}) in ${((performance.now() - queueStarted) / 1000).toFixed(1)} s`);

    const count = async () => Number((await (await ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" })).json<{ n: string }>())[0]!.n);
    const started = performance.now();
    // As the worker unit runs them (its heap setting included).
    for (let i = 0; i < workerCount; i++) running.push(startPug(["worker", "events"], { ...workerUnitEnv(`${import.meta.dir}/../..`), ...env }));
    const peak = running.map(() => 0);
    const cpu = running.map(() => 0);
    for (;;) {
      running.forEach((worker, i) => {
        try {
          peak[i] = Math.max(peak[i]!, rssMb(worker.proc.pid));
          cpu[i] = cpuSeconds(worker.proc.pid);
        } catch {
          throw new Error(`a worker exited: ${worker.output()}`);
        }
      });
      if ((await count()) >= total) break;
      if (performance.now() - started > 900_000) throw new Error("not drained after 15 minutes");
      await Bun.sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuTotal = cpu.reduce((a, b) => a + b, 0);
    console.log(
      `${workerCount} worker(s): drained ${total.toLocaleString()} events in ${seconds.toFixed(1)} s = ${Math.round(total / seconds).toLocaleString()} events/s; ` +
        `worker CPU ${cpu.map((c) => c.toFixed(1)).join(" + ")} s = ${((cpuTotal / total) * 1e6).toFixed(1)} µs/event; peak RSS ${peak.map((p) => p.toFixed(0)).join(", ")} MB`,
    );
  } finally {
    await Promise.all(running.map((proc) => proc.stop()));
    await ch.close();
    await stores.cleanup();
  }
}
