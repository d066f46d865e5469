// What an INSERT costs through the dev server's HTTP interface compared with the engine inserting the same rows
// from a file, per format: realistic `events` rows (migrations 0001 + 0002), inserted in batches into a fresh
// table (merges stopped). Wall time per 100k rows and the server's CPU time (which other load on the machine skews
// less).
// Runs its own server on a spare port with a throw-away data directory.
//   bun scripts/bench/clickhouse-dev-insert.ts [--rows 100000] [--batch 10000] [--runs 2] [--only exec-json,exec-native]
//     [--url http://127.0.0.1:PORT --pid PID]   (a server started by hand, e.g. under `bun --cpu-prof-md`)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { clickhouseSettings } from "../../src/infra/clickhouse.ts";
import { startDevServer } from "../../test/support/clickhouse-dev-process.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    batch: { type: "string", default: "10000" },
    runs: { type: "string", default: "2" },
    only: { type: "string", default: "" },
    // A server started by hand (e.g. under `bun --cpu-prof-md`), instead of a private one: its URL and process id.
    url: { type: "string", default: "" },
    pid: { type: "string", default: "" },
  },
});
const totalRows = Number(args.rows);
const batchRows = Number(args.batch);
const runs = Number(args.runs);
const only = args.only ? new Set(args.only.split(",")) : undefined;

const migrations = resolve(import.meta.dir, "../../migrations/clickhouse");
const server = args.url ? undefined : await startDevServer();
const url = server?.url ?? args.url;
const pid = server?.proc.pid ?? Number(args.pid);
const database = `bench_insert_${process.pid}`;
// As the product's client sends them: a database and its settings on every request (see src/infra/clickhouse.ts).
const client = (compress: boolean) =>
  createClient({
    url, database, clickhouse_settings: clickhouseSettings, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 600_000,
    compression: { request: compress, response: false },
  });
const admin = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
await admin.command({ query: `CREATE DATABASE ${database}` });
const ch = client(false);
const chGzip = client(true);
const work = mkdtempSync(join(tmpdir(), "pug-chdev-insert-"));

/** utime + stime in seconds (Linux /proc, clock ticks of 1/100 s) of the server process, or of its JavaScript thread. */
const cpuSeconds = (stat: string) => {
  const fields = readFileSync(stat, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const serverCpuSeconds = () => cpuSeconds(`/proc/${pid}/stat`);
const jsThreadCpuSeconds = () => cpuSeconds(`/proc/${pid}/task/${pid}/stat`);

try {
  for (const file of ["0001_events.sql", "0002_typed_properties.sql"]) {
    for (const statement of readFileSync(join(migrations, file), "utf8").split(/;\s*$/m)) {
      if (statement.replace(/--.*$/gm, "").trim()) await ch.command({ query: statement });
    }
  }
  // Background merges would bill one mode's parts to the next mode's CPU time.
  await ch.command({ query: "SYSTEM STOP MERGES events" });
  const columns = await (await ch.query({ query: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position", format: "JSONEachRow" })).json<{ name: string; type: string }>();
  const structure = columns.map((c) => `${c.name} ${c.type}`).join(", ").replaceAll("'", "\\'");

  // Every batch as objects (what the writer holds), JSONEachRow bytes, and the engine's own RowBinary and Native.
  const batches: { objects: Record<string, unknown>[]; json: Uint8Array; jsonFile: string; rowBinary: Uint8Array; rowBinaryFile: string; native: Uint8Array; nativeFile: string }[] = [];
  for (let offset = 0; offset < totalRows; offset += batchRows) {
    const objects = syntheticEventRows(offset, Math.min(batchRows, totalRows - offset));
    const json = new TextEncoder().encode(objects.map((row) => JSON.stringify(row)).join("\n") + "\n");
    const jsonFile = join(work, `batch-${offset}.json`);
    writeFileSync(jsonFile, json);
    const convert = async (format: string) => {
      const result = await ch.exec({ query: `SELECT * FROM file('${jsonFile}', 'JSONEachRow', '${structure}') FORMAT ${format}` });
      return new Uint8Array(await new Response(Readable.toWeb(result.stream) as ReadableStream).arrayBuffer());
    };
    const native = await convert("Native");
    const nativeFile = join(work, `batch-${offset}.native`);
    writeFileSync(nativeFile, native);
    const rowBinary = await convert("RowBinary");
    const rowBinaryFile = join(work, `batch-${offset}.rowbinary`);
    writeFileSync(rowBinaryFile, rowBinary);
    batches.push({ objects, json, jsonFile, rowBinary, rowBinaryFile, native, nativeFile });
  }
  const mb = (pick: (b: (typeof batches)[number]) => Uint8Array) => (batches.reduce((n, b) => n + pick(b).byteLength, 0) / 1e6).toFixed(1);
  console.log(`${totalRows.toLocaleString()} rows in batches of ${batchRows.toLocaleString()}: JSONEachRow ${mb((b) => b.json)} MB, RowBinary ${mb((b) => b.rowBinary)} MB, Native ${mb((b) => b.native)} MB (gzip: ${mb((b) => gzipSync(b.json, { level: 1 }))} / ${mb((b) => gzipSync(b.rowBinary, { level: 1 }))} / ${mb((b) => gzipSync(b.native, { level: 1 }))} MB at level 1)`);

  const body = (bytes: Uint8Array) => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  const drain = async (result: { stream: Readable }) => {
    for await (const _ of result.stream);
  };
  const modes: Record<string, (b: (typeof batches)[number]) => Promise<unknown>> = {
    "engine-file-json": (b) => ch.command({ query: `INSERT INTO events SELECT * FROM file('${b.jsonFile}', 'JSONEachRow', '${structure}')` }),
    "engine-file-rowbinary": (b) => ch.command({ query: `INSERT INTO events SELECT * FROM file('${b.rowBinaryFile}', 'RowBinary', '${structure}')` }),
    "engine-file-native": (b) => ch.command({ query: `INSERT INTO events SELECT * FROM file('${b.nativeFile}', 'Native', '${structure}')` }),
    "insert-json-objects": (b) => ch.insert({ table: "events", values: b.objects, format: "JSONEachRow" }),
    "exec-json": (b) => ch.exec({ query: "INSERT INTO events FORMAT JSONEachRow", values: body(b.json) }).then(drain),
    "exec-rowbinary": (b) => ch.exec({ query: "INSERT INTO events FORMAT RowBinary", values: body(b.rowBinary) }).then(drain),
    "exec-native": (b) => ch.exec({ query: "INSERT INTO events FORMAT Native", values: body(b.native) }).then(drain),
    "exec-json-gzip": (b) => chGzip.exec({ query: "INSERT INTO events FORMAT JSONEachRow", values: body(b.json) }).then(drain),
    "exec-rowbinary-gzip": (b) => chGzip.exec({ query: "INSERT INTO events FORMAT RowBinary", values: body(b.rowBinary) }).then(drain),
    "exec-native-gzip": (b) => chGzip.exec({ query: "INSERT INTO events FORMAT Native", values: body(b.native) }).then(drain),
  };

  console.log("mode                  ms/100k rows (best)  rows/s (best)   server CPU s/100k rows (best)  of it JS thread");
  for (const [name, insert] of Object.entries(modes)) {
    if (only && !only.has(name)) continue;
    let bestMs = Infinity;
    let bestCpu = Infinity;
    let bestJs = Infinity;
    for (let run = 0; run < runs; run++) {
      await ch.command({ query: "TRUNCATE TABLE events" });
      const cpu = serverCpuSeconds();
      const js = jsThreadCpuSeconds();
      const t = performance.now();
      for (const batch of batches) await insert(batch);
      bestMs = Math.min(bestMs, performance.now() - t);
      bestCpu = Math.min(bestCpu, serverCpuSeconds() - cpu);
      bestJs = Math.min(bestJs, jsThreadCpuSeconds() - js);
      const [{ n }] = await (await ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" })).json<{ n: string }>() as [{ n: string }];
      if (Number(n) !== totalRows) throw new Error(`${name}: ${n} rows in events, expected ${totalRows}`);
    }
    const per100k = 100_000 / totalRows;
    console.log(`${name.padEnd(22)}${(bestMs * per100k).toFixed(0).padStart(10)}${Math.round(totalRows / (bestMs / 1000)).toLocaleString().padStart(20)}${(bestCpu * per100k).toFixed(2).padStart(22)}${(bestJs * per100k).toFixed(2).padStart(17)}`);
  }
} finally {
  await ch.close();
  await chGzip.close();
  if (server) await server.dispose();
  else await admin.command({ query: `DROP DATABASE ${database}` });
  await admin.close();
  rmSync(work, { recursive: true, force: true });
}

/** `count` rows as the events worker writes them, about 1.3 KB of JSON each, repeating the SDK's page facts and a few derived ones in auto_properties. */
function syntheticEventRows(first: number, count: number): Record<string, unknown>[] {
  const projects = ["0b5d6c1e-8f0a-4c55-9a11-2f7d3e4b5a61", "7f3e2d1c-0b9a-4877-8665-544332211000", "c0ffee00-1234-4abc-8def-0123456789ab"];
  const kinds = ["page_view", "page_view", "click", "signup", "scroll"];
  const browsers = [["Chrome", "131.0.0.0"], ["Firefox", "133.0"], ["Safari", "18.1"], ["Edge", "131.0.2903.86"]];
  const systems = [["Windows", "10"], ["macOS", "14.6"], ["iOS", "18.1"], ["Android", "14"]];
  const places = [["DE", "Berlin", "Berlin"], ["US", "California", "San Francisco"], ["FR", "Île-de-France", "Paris"], ["JP", "Tokyo", "Tokyo"]];
  const sources = [["", "", "", "direct"], ["google", "cpc", "winter_sale_2026", "paid_search"], ["newsletter", "email", "weekly-digest", "email"]];
  const start = Date.parse("2026-11-01T00:00:00Z");
  const time = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  const rows: Record<string, unknown>[] = [];
  for (let i = first; i < first + count; i++) {
    const [browser, browserVersion] = browsers[i % 4]!;
    const [os, osVersion] = systems[(i >> 2) % 4]!;
    const [country, region, city] = places[(i >> 3) % 4]!;
    const [utmSource, utmMedium, utmCampaign, channel] = sources[i % 3]!;
    const path = `/docs/guide-${i % 1013}`;
    const url = `https://example.com${path}${utmSource ? `?utm_source=${utmSource}` : ""}`;
    const referrer = i % 3 === 1 ? "https://www.google.com/" : i % 3 === 2 ? "https://mail.example.org/" : "";
    const title = `Guide ${i % 1013} — Example Docs`;
    const device = i % 4 === 2 || i % 4 === 3 ? "mobile" : "desktop";
    const [width, height] = device === "mobile" ? [390, 844] : [1920, 1080];
    const distinct = `user-${(i * 7919) % 60_000}`;
    const row = {
      project_id: projects[i % 3], event_id: crypto.randomUUID(), kind: kinds[i % 5],
      occurred_at: time(start + i * 37), received_at: time(start + i * 37 + 120),
      distinct_id: distinct, session_id: crypto.randomUUID(), cookieless: i % 10 === 0, is_bot: false,
      url, pathname: path, hostname: "example.com", referrer, referrer_domain: referrer ? new URL(referrer).hostname : "",
      channel, utm_source: utmSource, utm_medium: utmMedium, utm_campaign: utmCampaign, utm_term: "", utm_content: "",
      page_title: title, locale: "en-US", screen_width: width, screen_height: height, platform: "web", sdk_version: "1.4.2",
      browser, browser_version: browserVersion, os, os_version: osVersion, device_type: device, country, region, city,
    };
    rows.push({
      ...row,
      auto_properties: {
        $url: url, $referrer: referrer, $pageTitle: title, $locale: "en-US", $screenWidth: String(width),
        $screenHeight: String(height), $platform: "web", $sdkVersion: "1.4.2", $browser: browser, $os: os, $country: country,
      },
      auto_types: { $screenWidth: 2, $screenHeight: 2 },
      custom_properties: { plan: i % 2 ? "pro" : "free", cart_items: String(i % 9), experiment: `exp-${i % 4}`, logged_in: i % 3 ? "true" : "false" },
      custom_numbers: { cart_items: i % 9 },
      custom_types: { cart_items: 2, logged_in: 4 },
    });
  }
  return rows;
}
