// How `pug worker events` ×N drains a backlog: `pug server` alone queues the events (batches of 50, a distinct id
// per batch so they spread over partitions), stops, then N workers alone write them to ClickHouse while the
// workers' RSS is sampled every 100 ms. Reports events/s from the workers' start to the last row queryable, CPU
// seconds per event, and the peak RSS of a worker process.

import { createClickHouse } from "../../../src/infra/clickhouse.ts";
import { connectNats } from "../../../src/infra/nats.ts";
import { freePort } from "../../../test/support/ports.ts";
import { type RunningPug, waitForHttp } from "../../../test/support/pug-process.ts";
import { benchStores } from "../bench-stores.ts";
import { saturatingLoad } from "./batch-load.ts";
import { infraProcesses, treesOf } from "./bench-processes.ts";
import { waitForCount } from "./events-visibility.ts";
import { cpuRows, fmt, type FigureTable } from "./figure-table.ts";
import { BATCH, batchBodies } from "./ingest-bodies.ts";
import { onInterrupt } from "./interrupt-cleanup.ts";
import { CpuMeter, RssSampler } from "./process-usage.ts";
import { migrateWithProject, type PugCheckout, startPugOf, workerUnitEnv } from "./pug-checkout.ts";

/** The name of a drain figure (a row of the table) for a number of workers. */
const drainName = (workers: number) => `drain ×${workers} worker${workers > 1 ? "s" : ""}`;
export const drainFigure = (workers: number, name: string) => `${drainName(workers)}: ${name}`;
export const PEAK_RSS = "peak RSS of a worker process, MB";

export interface DrainOptions {
  events: number;
  workers: number;
  concurrency: number;
  /** Extra environment for every pug process (--env KEY=VALUE). */
  env: Record<string, string>;
}

/** Events and bytes waiting in the events stream and its partitions (`<prefix>_events`, `<prefix>_events_p<i>`). */
async function backlog(natsUrl: string, prefix: string): Promise<{ messages: number; bytes: number; streams: number }> {
  const nats = await connectNats({ url: natsUrl, prefix });
  try {
    const total = { messages: 0, bytes: 0, streams: 0 };
    const events = new RegExp(`^${nats.names.stream("events")}(_p\\d+)?$`);
    for await (const stream of nats.jsm.streams.list()) {
      if (!events.test(stream.config.name)) continue;
      total.messages += stream.state.messages;
      total.bytes += stream.state.bytes;
      total.streams++;
    }
    return total;
  } finally {
    await nats.close();
  }
}

export async function drainPhase(checkout: PugCheckout, options: DrainOptions, table: FigureTable, log: (line: string) => void): Promise<void> {
  const column = checkout.label;
  const stores = await benchStores(`pug_bench_ingest_${process.pid}_${column.replace(/\W/g, "_")}_drain${options.workers}`);
  const forgetStores = onInterrupt(stores.cleanup);
  const env = { ...stores.env, PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_EPS: "0", PUG_WORKER_HEALTH_ADDR: "off", ...options.env };
  const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  const running: RunningPug[] = [];
  const phase = drainName(options.workers);
  const figure = (name: string) => drainFigure(options.workers, name);
  try {
    const project = await migrateWithProject(checkout, env);
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = startPugOf(checkout, ["server"], { ...env, PUG_SERVER_PORT: String(port) });
    running.push(server);
    await waitForHttp(`${base}/readyz`, 200, 60_000);
    const batches = Math.ceil(options.events / BATCH);
    log(`${column}: queueing ${(batches * BATCH).toLocaleString()} events with pug server alone`);
    const queueStarted = performance.now();
    // In chunks, so a million events are never all encoded in memory at once.
    for (let at = 0; at < batches; at += 2000) {
      const bodies = batchBodies(project.projectId, Math.min(2000, batches - at), BATCH, `drain-${at}`);
      await saturatingLoad(base, project.publicKey, bodies, options.concurrency);
    }
    const queueSeconds = (performance.now() - queueStarted) / 1000;
    await server.stop();
    const queued = await backlog(env.NATS_URL, env.PUG_NATS_PREFIX);
    log(`${column}: backlog ${queued.messages.toLocaleString()} messages, ${(queued.bytes / 2 ** 20).toFixed(0)} MiB in ${queued.streams} stream(s), queued in ${queueSeconds.toFixed(1)} s`);

    log(`${column}: draining with ${options.workers} × pug worker events`);
    const workerPids = treesOf(() => running.slice(1).map((w) => w.proc.pid));
    const meter = new CpuMeter({ "pug worker events": workerPids, ...infraProcesses(env.CLICKHOUSE_URL) }).start();
    const rss = new RssSampler(workerPids, 100).start();
    const started = performance.now();
    for (let i = 0; i < options.workers; i++) running.push(startPugOf(checkout, ["worker", "events"], { ...workerUnitEnv(checkout.dir), ...env }));
    const done = await waitForCount(ch, batches * BATCH, {
      timeoutMs: 900_000,
      everyMs: 250,
      alive: () => {
        for (const worker of running.slice(1)) if (worker.proc.exitCode !== null) throw new Error(`${column}: a worker exited ${worker.proc.exitCode}:\n${worker.output()}`);
      },
    });
    const peak = rss.stop();
    const cpu = meter.stop();
    const total = batches * BATCH;
    table.set(column, figure("backlog events (queue messages)"), `${fmt.int(total)} (${fmt.int(queued.messages)})`);
    table.set(column, figure("pug server queueing, events/s"), fmt.int(total / queueSeconds));
    table.set(column, figure("events/s (worker start → all queryable)"), fmt.int(total / ((done - started) / 1000)));
    table.set(column, figure(PEAK_RSS), fmt.int(peak.peakOneMb));
    if (options.workers > 1) table.set(column, figure("peak RSS of all workers, MB"), fmt.int(peak.peakSumMb));
    cpuRows(table, column, phase, cpu, total, "event");
  } finally {
    await Promise.all(running.map((proc) => proc.stop()));
    await ch.close();
    forgetStores();
    await stores.cleanup();
  }
}
