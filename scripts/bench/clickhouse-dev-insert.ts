// What an INSERT costs through the dev server's HTTP interface compared with the engine inserting the same rows
// from a file, per format: realistic `events` rows (migrations 0001 + 0002), inserted in batches into a fresh
// table (merges stopped), by a client that sends the product's database and settings. Wall time per 100k rows and
// the server's CPU time (which other load on the machine skews less), and how much of that is its JavaScript thread.
// Runs its own server on a spare port with a throw-away data directory, or compares servers started by hand (e.g. an
// older checkout, or one under `bun --cpu-prof-md`), run after run in turn so that load from elsewhere hits both.
// --views applies every ClickHouse migration, so that each insert also feeds the materialized views (usage, profile
// activity and days), as in production; --upto 0006 stops at that migration (0006: the filter schema still kept by
// views on events, as before 0007); --without a_mv,b_mv then drops those views, to see what each one costs.
// --filter-schema follows each batch's insert with the inserts of its filter schema as the events worker tallies
// it since 0007 (messages of 50 rows, combined per batch; the tally is done before timing, only ClickHouse's
// side is measured).
//   bun scripts/bench/clickhouse-dev-insert.ts [--rows 100000] [--batch 10000] [--runs 2] [--only exec-json,exec-native]
//     [--views [--upto 0006] [--without usage_daily_mv,…]] [--filter-schema]
//     [--url http://127.0.0.1:P1,http://127.0.0.1:P2 --pid PID1,PID2 --label before,after]

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import type { EncodedTableRows } from "../../src/domain/sql/native-block-writer.ts";
import { clickhouseSettings } from "../../src/infra/clickhouse.ts";
import { startDevServer } from "../../test/support/clickhouse-dev-process.ts";
import { filterSchemaOf, syntheticEventRows } from "./lib/synthetic-event-rows.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    batch: { type: "string", default: "10000" },
    runs: { type: "string", default: "2" },
    only: { type: "string", default: "" },
    url: { type: "string", default: "" },
    pid: { type: "string", default: "" },
    label: { type: "string", default: "" },
    views: { type: "boolean", default: false },
    without: { type: "string", default: "" },
    upto: { type: "string", default: "9999" },
    "filter-schema": { type: "boolean", default: false },
  },
});
const totalRows = Number(args.rows);
const batchRows = Number(args.batch);
const runs = Number(args.runs);
const only = args.only ? new Set(args.only.split(",")) : undefined;
const migrations = resolve(import.meta.dir, "../../migrations/clickhouse");
const database = `bench_insert_${process.pid}`;

interface Target {
  label: string;
  pid: number;
  admin: ClickHouseClient;
  ch: ClickHouseClient;
  chGzip: ClickHouseClient;
}

const server = args.url ? undefined : await startDevServer();
const urls = server ? [server.url] : args.url.split(",");
const pids = server ? [server.proc.pid] : args.pid.split(",").map(Number);
const labels = args.label ? args.label.split(",") : urls.map((_, i) => (urls.length > 1 ? `#${i + 1}` : ""));
if (pids.length !== urls.length || labels.length !== urls.length) throw new Error("--url, --pid and --label need one entry per server");
const targets: Target[] = urls.map((url, i) => {
  // As the product's client sends them: a database and its settings on every request (see src/infra/clickhouse.ts).
  const client = (compress: boolean) =>
    createClient({
      url, database, clickhouse_settings: clickhouseSettings, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 600_000,
      compression: { request: compress, response: false },
    });
  return { label: labels[i]!, pid: pids[i]!, admin: createClient({ url, log: { level: ClickHouseLogLevel.OFF } }), ch: client(false), chGzip: client(true) };
});
const work = mkdtempSync(join(tmpdir(), "pug-chdev-insert-"));

/** utime + stime in seconds (Linux /proc, clock ticks of 1/100 s) of a server process, and of its JavaScript thread. */
const cpuSeconds = (stat: string) => {
  const fields = readFileSync(stat, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const serverCpu = (pid: number) => ({ all: cpuSeconds(`/proc/${pid}/stat`), js: cpuSeconds(`/proc/${pid}/task/${pid}/stat`) });

try {
  for (const { admin, ch } of targets) {
    await admin.command({ query: `CREATE DATABASE ${database}` });
    const files = args.views ? readdirSync(migrations).filter((f) => f.endsWith(".sql") && f.slice(0, 4) <= args.upto).sort() : ["0001_events.sql", "0002_typed_properties.sql"];
    for (const file of files) {
      for (const statement of readFileSync(join(migrations, file), "utf8").split(/;\s*$/m)) {
        if (statement.replace(/--.*$/gm, "").trim()) await ch.command({ query: statement });
      }
    }
    for (const view of args.without ? args.without.split(",") : []) await ch.command({ query: `DROP VIEW ${view}` });
    // Background merges would bill one mode's parts to the next mode's CPU time.
    await ch.command({ query: "SYSTEM STOP MERGES events" });
  }
  const { ch } = targets[0]!;
  const columns = await (await ch.query({ query: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position", format: "JSONEachRow" })).json<{ name: string; type: string }>();
  const structure = columns.map((c) => `${c.name} ${c.type}`).join(", ").replaceAll("'", "\\'");

  // Every batch as objects (what the writer holds), JSONEachRow bytes, and the engine's own RowBinary and Native.
  const batches: { objects: Record<string, unknown>[]; json: Uint8Array; rowBinary: Uint8Array; native: Uint8Array; files: Record<string, string>; filterSchema: EncodedTableRows[] }[] = [];
  for (let offset = 0; offset < totalRows; offset += batchRows) {
    const objects = syntheticEventRows(offset, Math.min(batchRows, totalRows - offset));
    const json = new TextEncoder().encode(objects.map((row) => JSON.stringify(row)).join("\n") + "\n");
    const files = { JSONEachRow: join(work, `batch-${offset}.json`), RowBinary: join(work, `batch-${offset}.rowbinary`), Native: join(work, `batch-${offset}.native`) };
    writeFileSync(files.JSONEachRow, json);
    const convert = async (format: "RowBinary" | "Native") => {
      const result = await ch.exec({ query: `SELECT * FROM file('${files.JSONEachRow}', 'JSONEachRow', '${structure}') FORMAT ${format}` });
      const bytes = new Uint8Array(await new Response(Readable.toWeb(result.stream) as ReadableStream).arrayBuffer());
      writeFileSync(files[format], bytes);
      return bytes;
    };
    batches.push({ objects, json, rowBinary: await convert("RowBinary"), native: await convert("Native"), files, filterSchema: args["filter-schema"] ? filterSchemaOf(objects) : [] });
  }
  const mb = (pick: (b: (typeof batches)[number]) => Uint8Array) => (batches.reduce((n, b) => n + pick(b).byteLength, 0) / 1e6).toFixed(1);
  console.log(`${totalRows.toLocaleString()} rows in batches of ${batchRows.toLocaleString()}: JSONEachRow ${mb((b) => b.json)} MB, RowBinary ${mb((b) => b.rowBinary)} MB, Native ${mb((b) => b.native)} MB (gzip: ${mb((b) => gzipSync(b.json, { level: 1 }))} / ${mb((b) => gzipSync(b.rowBinary, { level: 1 }))} / ${mb((b) => gzipSync(b.native, { level: 1 }))} MB at level 1)`);

  const body = (bytes: Uint8Array) => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  const drain = async (result: { stream: Readable }) => {
    for await (const _ of result.stream);
  };
  type Batch = (typeof batches)[number];
  const fromFile = (format: string) => (t: Target, b: Batch) =>
    t.ch.command({ query: `INSERT INTO events SELECT * FROM file('${b.files[format]}', '${format}', '${structure}')` });
  const exec = (format: string, pick: (b: Batch) => Uint8Array, gzip = false) => (t: Target, b: Batch) =>
    (gzip ? t.chGzip : t.ch).exec({ query: `INSERT INTO events FORMAT ${format}`, values: body(pick(b)) }).then(drain);
  const modes: Record<string, (t: Target, b: Batch) => Promise<unknown>> = {
    "engine-file-json": fromFile("JSONEachRow"),
    "engine-file-rowbinary": fromFile("RowBinary"),
    "engine-file-native": fromFile("Native"),
    "insert-json-objects": (t, b) => t.ch.insert({ table: "events", values: b.objects, format: "JSONEachRow" }),
    "exec-json": exec("JSONEachRow", (b) => b.json),
    "exec-rowbinary": exec("RowBinary", (b) => b.rowBinary),
    "exec-native": exec("Native", (b) => b.native),
    "exec-json-gzip": exec("JSONEachRow", (b) => b.json, true),
    "exec-rowbinary-gzip": exec("RowBinary", (b) => b.rowBinary, true),
    "exec-native-gzip": exec("Native", (b) => b.native, true),
  };

  console.log("mode                           ms/100k rows (best)  rows/s (best)   server CPU s/100k rows (best)  of it JS thread");
  for (const [name, insert] of Object.entries(modes)) {
    if (only && !only.has(name)) continue;
    const best = targets.map(() => ({ ms: Infinity, cpu: Infinity, js: Infinity }));
    for (let run = 0; run < runs; run++) {
      for (const [i, target] of targets.entries()) {
        await target.ch.command({ query: "TRUNCATE TABLE events" });
        const before = serverCpu(target.pid);
        const t = performance.now();
        for (const batch of batches) {
          await insert(target, batch);
          for (const table of batch.filterSchema) {
            await target.ch.exec({ query: `INSERT INTO ${table.table} (${table.columns.join(", ")}) FORMAT Native`, values: body(table.bytes) }).then(drain);
          }
        }
        const after = serverCpu(target.pid);
        best[i] = { ms: Math.min(best[i]!.ms, performance.now() - t), cpu: Math.min(best[i]!.cpu, after.all - before.all), js: Math.min(best[i]!.js, after.js - before.js) };
        const [{ n }] = (await (await target.ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" })).json<{ n: string }>()) as [{ n: string }];
        if (Number(n) !== totalRows) throw new Error(`${name} ${target.label}: ${n} rows in events, expected ${totalRows}`);
      }
    }
    const per100k = 100_000 / totalRows;
    for (const [i, { ms, cpu, js }] of best.entries()) {
      const label = `${name} ${targets[i]!.label}`.trim();
      console.log(`${label.padEnd(31)}${(ms * per100k).toFixed(0).padStart(10)}${Math.round(totalRows / (ms / 1000)).toLocaleString().padStart(20)}${(cpu * per100k).toFixed(2).padStart(22)}${(js * per100k).toFixed(2).padStart(17)}`);
    }
  }
} finally {
  for (const { admin, ch, chGzip } of targets) {
    if (!server) await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await Promise.all([admin.close(), ch.close(), chGzip.close()]);
  }
  if (server) await server.dispose();
  rmSync(work, { recursive: true, force: true });
}
