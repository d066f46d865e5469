// The measurements on `pug dev` of one checkout: end-to-end throughput in batches of 50 at saturation, event →
// queryable latency at half that rate, and single-event requests. Each puts its figures into the table.

import { createClickHouse } from "../../../src/infra/clickhouse.ts";
import { freePort } from "../../../test/support/ports.ts";
import { waitForHttp } from "../../../test/support/pug-process.ts";
import { benchStores } from "../bench-stores.ts";
import { pacedLoad, saturatingLoad } from "./batch-load.ts";
import { devChildren, infraProcesses, selfProcess, treesOf } from "./bench-processes.ts";
import { BatchVisibility, waitForCount } from "./events-visibility.ts";
import { cpuRows, fmt, type FigureTable } from "./figure-table.ts";
import { BATCH, batchBodies, singleBodies } from "./ingest-bodies.ts";
import { percentile } from "./percentile.ts";
import { onInterrupt } from "./interrupt-cleanup.ts";
import { CpuMeter } from "./process-usage.ts";
import { migrateWithProject, type PugCheckout, startPugOf } from "./pug-checkout.ts";
import { bunSingleLoad } from "./single-load.ts";
import { WRK_INSTALL_HINT, wrkPath, wrkSingleLoad } from "./wrk-load.ts";


/** Names of the figures the issue sets targets for (rows of the table). */
export const devFigures = {
  e2e: "e2e batches of 50: first send → all queryable, events/s",
  latencyP95: "latency at half rate: event → queryable p95, s",
  singleRate: "single event: req/s (answered 200)",
  singleAck: "single event: ack p50 / p95 / p99, ms",
};

export interface DevOptions {
  events: number;
  concurrency: number;
  connections: number;
  singleSeconds: number;
  singleBodies: number;
  latencySeconds: number;
  /** Events/s for the latency phase when the throughput phase is skipped. */
  latencyRate?: number;
  skipE2e: boolean;
  skipLatency: boolean;
  skipSingle: boolean;
  bunLoad: boolean;
  /** After the single-event load, wait until every answered request's event is queryable (none deduplicated). */
  verifySingle: boolean;
  /** Extra environment for every pug process (--env KEY=VALUE). */
  env: Record<string, string>;
}

export async function devPhases(checkout: PugCheckout, options: DevOptions, table: FigureTable, log: (line: string) => void): Promise<void> {
  const column = checkout.label;
  const stores = await benchStores(`pug_bench_ingest_${process.pid}_${column.replace(/\W/g, "_")}_dev`);
  const forgetStores = onInterrupt(stores.cleanup);
  const env = { ...stores.env, PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_EPS: "0", ...options.env };
  const ch = createClickHouse({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
  let dev: ReturnType<typeof startPugOf> | undefined;
  try {
    const project = await migrateWithProject(checkout, env);
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    dev = startPugOf(checkout, ["dev"], { ...env, PUG_SERVER_PORT: String(port), PUG_WORKER_HEALTH_ADDR: "off" });
    await waitForHttp(`${base}/readyz`, 200, 60_000);
    const alive = () => {
      if (dev!.proc.exitCode !== null) throw new Error(`${column}: pug dev exited ${dev!.proc.exitCode}:\n${dev!.output()}`);
    };
    const pug = { "pug dev": treesOf(() => [dev!.proc.pid]), ...devChildren(dev.proc.pid, "pug dev") };
    const infra = infraProcesses(env.CLICKHOUSE_URL);
    const groups = { ...pug, ...infra, "bench (load generator)": selfProcess };
    let sustained = options.latencyRate ?? NaN;
    let queryable = 0;

    if (!options.skipE2e) {
      log(`${column}: end to end, ${options.events.toLocaleString()} events in batches of ${BATCH}, ${options.concurrency} in flight`);
      const bodies = batchBodies(project.projectId, Math.ceil(options.events / BATCH), BATCH, "e2e");
      const total = bodies.length * BATCH;
      const meter = new CpuMeter(groups).start();
      const started = performance.now();
      await saturatingLoad(base, project.publicKey, bodies, options.concurrency);
      const acked = performance.now();
      const done = await waitForCount(ch, total, { timeoutMs: 600_000, alive });
      const cpu = meter.stop();
      queryable = total;
      sustained = total / ((done - started) / 1000);
      table.set(column, "e2e batches of 50: accepted, events/s", fmt.int(total / ((acked - started) / 1000)));
      table.set(column, devFigures.e2e, fmt.int(sustained));
      cpuRows(table, column, "e2e", cpu, total, "event");
    }

    if (!options.skipLatency && Number.isFinite(sustained)) {
      const rate = sustained / 2;
      const perSecond = rate / BATCH;
      const batches = Math.max(1, Math.round(perSecond * options.latencySeconds));
      log(`${column}: event → queryable at half the sustained rate: ${fmt.int(rate)} events/s for ${options.latencySeconds} s`);
      const bodies = batchBodies(project.projectId, batches, BATCH, "lat");
      const sentAt: number[] = new Array(batches);
      const visibility = new BatchVisibility(ch, "lat", BATCH);
      const sending = pacedLoad(base, project.publicKey, bodies, perSecond, sentAt);
      let sent = false;
      let refused: unknown;
      sending.then(
        () => (sent = true),
        (error) => (refused = error),
      );
      const deadline = performance.now() + options.latencySeconds * 1000 + 300_000;
      while (!(sent && visibility.allSeen(batches))) {
        alive();
        // A request that failed ends the load: the batches after it are never sent, so never all seen.
        if (refused) throw refused;
        if (performance.now() > deadline) throw new Error(`${column}: latency batches not all queryable 5 minutes after sending`);
        await visibility.poll(sentAt);
        await Bun.sleep(100);
      }
      queryable += batches * BATCH;
      const latencies = visibility.visibleAt.map((t, i) => t - sentAt[i]!);
      table.set(column, "latency at half rate: rate sent, events/s", fmt.int(rate));
      table.set(column, "latency at half rate: event → queryable p50, s", fmt.fixed(percentile(latencies, 0.5) / 1000, 2));
      table.set(column, devFigures.latencyP95, fmt.fixed(percentile(latencies, 0.95) / 1000, 2));
    }

    if (!options.skipSingle) {
      // Let the worker finish what the earlier phases queued, so the single-event figures measure intake alone.
      if (queryable) await waitForCount(ch, queryable, { timeoutMs: 300_000, alive });
      const wrk = options.bunLoad ? null : wrkPath();
      if (!wrk && !options.bunLoad) log(WRK_INSTALL_HINT);
      log(`${column}: single-event requests, ${options.connections} connections for ${options.singleSeconds} s (${wrk ? "wrk" : "Bun load generator"})`);
      const bodies = singleBodies(project.projectId, options.singleBodies);
      const meter = new CpuMeter({ ...pug, ...infra }).start();
      const result = wrk
        ? await wrkSingleLoad(wrk, base, project.publicKey, bodies, { connections: options.connections, threads: 2, seconds: options.singleSeconds })
        : await bunSingleLoad(base, project.publicKey, bodies, { connections: options.connections, seconds: options.singleSeconds });
      const cpu = meter.stop();
      if (result.errors) log(`${column}: ${result.errors} of ${result.requests} single-event requests failed (${result.errorDetail})`);
      table.set(column, "single event: load generator", result.generator.split(",")[0]!);
      table.set(column, devFigures.singleRate, fmt.int((result.requests - result.errors) / result.seconds));
      table.set(column, "single event: failed requests", fmt.int(result.errors));
      table.set(column, devFigures.singleAck, `${fmt.fixed(result.p50Ms)} / ${fmt.fixed(result.p95Ms)} / ${fmt.fixed(result.p99Ms)}`);
      cpuRows(table, column, "single", { ...cpu, groups: { ...cpu.groups, "load generator": result.generatorCpuSeconds } }, result.requests, "req");
      if (options.verifySingle) {
        // Every request carried an event of its own, so each answered one must become a row of its own.
        const expected = queryable + result.requests - result.errors;
        log(`${column}: waiting for ${(result.requests - result.errors).toLocaleString()} single events to be queryable`);
        await waitForCount(ch, expected, { timeoutMs: 600_000, everyMs: 250, alive });
        table.set(column, "single event: every answered event queryable", `yes (${fmt.int(result.requests - result.errors)})`);
      }
    }
  } finally {
    await dev?.stop();
    await ch.close();
    forgetStores();
    await stores.cleanup();
  }
}
