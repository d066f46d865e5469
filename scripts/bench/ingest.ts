// Ingestion figures of Pug on this machine's dev infrastructure, for one checkout or two side by side (issue 12):
//  - end to end on `pug dev`, batches of 50 sent as fast as they are answered: first send → all rows queryable
//    (a million events by default: a sustained rate, which the last write's wait and the start barely touch);
//  - event → queryable latency p50/p95 with batches paced at half that sustained rate;
//  - single-event requests at --connections (wrk with scripts/bench/lib/wrk-rotate.lua, or Bun's fetch when wrk
//    is missing or --bun-load is given): req/s and ack latency p50/p95/p99, and the load generator's CPU;
//  - `pug worker events` ×N draining a backlog queued by `pug server` alone: events/s, CPU per event, peak RSS;
//  - CPU seconds per process (pug's whole process tree, nats-server, clickhouse-dev, postgres, redis, the load
//    generator) and per event. The servers are shared: their CPU includes whatever else runs on the machine.
// --verify-single waits until every answered single-event request is a row (nothing deduplicated or lost).
// --workers 1,2 drains the same-sized backlog once per count (a second worker is a standby until partitions exist).
// --profile DIR writes a Markdown CPU profile of every pug process (bun --cpu-prof-md) into DIR/<column>.
// Every run uses its own database, ClickHouse database and NATS prefix, and removes them afterwards.
//
//   bun scripts/bench/ingest.ts [--before DIR] [--after DIR] [--events 1000000] [--concurrency 32]
//     [--connections 32] [--single-seconds 15] [--single-bodies 20000] [--latency-seconds 20] [--latency-rate N]
//     [--drain-events 1000000] [--workers 1,2] [--drain-partitions 4] [--bun-load] [--verify-single] [--profile DIR] [--env KEY=VALUE …] [--bun-args "…"]
//     [--skip-e2e] [--skip-latency] [--skip-single] [--skip-drain]
//   quick (< 2 min for one checkout): --events 20000 --single-seconds 5 --latency-seconds 5 --drain-events 20000
//   before and after this issue: --before /work/wt-base

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { devFigures, devPhases } from "./lib/dev-phases.ts";
import { drainFigure, drainPhase, PEAK_RSS } from "./lib/drain-phase.ts";
import { FigureTable } from "./lib/figure-table.ts";
import { onInterrupt } from "./lib/interrupt-cleanup.ts";
import { checkoutAt, type PugCheckout, removeLauncher } from "./lib/pug-checkout.ts";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    after: { type: "string", default: resolve(import.meta.dir, "../..") },
    events: { type: "string", default: "1000000" },
    concurrency: { type: "string", default: "32" },
    connections: { type: "string", default: "32" },
    "single-seconds": { type: "string", default: "15" },
    "single-bodies": { type: "string", default: "20000" },
    "latency-seconds": { type: "string", default: "20" },
    "latency-rate": { type: "string" },
    "drain-events": { type: "string", default: "1000000" },
    // The drain compares 1 and 2 workers on one load: it needs partitions for two (pug dev's phases use the default).
    "drain-partitions": { type: "string", default: "4" },
    workers: { type: "string", default: "1,2" },
    "bun-load": { type: "boolean", default: false },
    "verify-single": { type: "boolean", default: false },
    profile: { type: "string" },
    env: { type: "string", multiple: true, default: [] },
    "bun-args": { type: "string", default: "" },
    "skip-e2e": { type: "boolean", default: false },
    "skip-latency": { type: "boolean", default: false },
    "skip-single": { type: "boolean", default: false },
    "skip-drain": { type: "boolean", default: false },
  },
});

const positive = (name: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return n;
};

// --profile DIR: every pug process writes a Markdown CPU profile into DIR/<column> when it exits.
// --bun-args "…": Bun flags for every pug process (e.g. --smol to compare heap settings).
const profile = (label: string) => [
  ...values["bun-args"].split(" ").filter(Boolean),
  ...(values.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(values.profile, label.replace(/\W/g, "_"))}`] : []),
];
const afterLabel = values.before ? "after" : "this checkout";
const checkouts: PugCheckout[] = [...(values.before ? [checkoutAt(values.before, "before", profile("before"))] : []), checkoutAt(values.after, afterLabel, profile(afterLabel))];
// --env KEY=VALUE for every pug process of both checkouts; PUG_DEV_PROCESSES (auto, single, or counts like
// server=2,events=1) is passed through from the environment, to compare pug dev's process layouts.
const extraEnv: Record<string, string> = {
  ...(process.env.PUG_DEV_PROCESSES ? { PUG_DEV_PROCESSES: process.env.PUG_DEV_PROCESSES } : {}),
  ...Object.fromEntries(values.env.map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`--env takes KEY=VALUE, got '${pair}'`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  })),
};
const workerCounts = values.workers.split(",").map((w) => positive("workers", w));
const dev = {
  events: positive("events", values.events),
  concurrency: positive("concurrency", values.concurrency),
  connections: positive("connections", values.connections),
  singleSeconds: positive("single-seconds", values["single-seconds"]),
  singleBodies: positive("single-bodies", values["single-bodies"]),
  latencySeconds: positive("latency-seconds", values["latency-seconds"]),
  latencyRate: values["latency-rate"] === undefined ? undefined : positive("latency-rate", values["latency-rate"]),
  skipE2e: values["skip-e2e"],
  skipLatency: values["skip-latency"],
  skipSingle: values["skip-single"],
  bunLoad: values["bun-load"],
  verifySingle: values["verify-single"],
  env: extraEnv,
};
if (dev.skipE2e && !dev.skipLatency && dev.latencyRate === undefined) throw new Error("--skip-e2e leaves no sustained rate to halve: give --latency-rate EVENTS_PER_S or --skip-latency");

const table = new FigureTable();
// Issue 12's targets on this 2-core machine.
table.target(devFigures.e2e, "≥ 30,000 (goal 50,000)");
table.target(devFigures.latencyP95, "< 5");
table.target(devFigures.singleRate, "≥ 10,000");
table.target(devFigures.singleAck, "p99 < 25");
for (const workers of workerCounts) table.target(drainFigure(workers, PEAK_RSS), "≤ 256");
const started = performance.now();
const log = (line: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
log(`${navigator.hardwareConcurrency} cores; checkouts: ${checkouts.map((c) => `${c.label} = ${c.dir}`).join(", ")}`);

const forgetLaunchers = onInterrupt(async () => checkouts.forEach(removeLauncher));
try {
  for (const checkout of checkouts) {
    if (!(dev.skipE2e && dev.skipLatency && dev.skipSingle)) await devPhases(checkout, dev, table, log);
    if (!values["skip-drain"]) {
      for (const workers of workerCounts) await drainPhase(checkout, { events: positive("drain-events", values["drain-events"]), workers, concurrency: dev.concurrency, env: { PUG_EVENTS_PARTITIONS: String(positive("drain-partitions", values["drain-partitions"])), ...extraEnv } }, table, log);
    }
  }
} finally {
  forgetLaunchers();
  checkouts.forEach(removeLauncher);
}

console.log(`\nIngestion on ${navigator.hardwareConcurrency} cores (load generator on the same cores; shared servers' CPU includes other work on the machine)`);
console.log(`${extraEnv.PUG_DEV_PROCESSES ? `PUG_DEV_PROCESSES=${extraEnv.PUG_DEV_PROCESSES} ` : ""}bun scripts/bench/ingest.ts ${process.argv.slice(2).join(" ")}\n`);
console.log(table.render());
