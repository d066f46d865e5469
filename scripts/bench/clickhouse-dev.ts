// Dev-server figures: insert throughput with 10,000-row JSONEachRow batches (wall time, and the server's CPU time,
// which other load on the machine does not skew), then query latency on the result.
// Runs its own server on a spare port with a throw-away data directory.
//   bun scripts/bench/clickhouse-dev.ts [--rows 10000000] [--batch 10000]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { startDevServer } from "../../test/support/clickhouse-dev-process.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "10000000" }, batch: { type: "string", default: "10000" } } });
const totalRows = Number(values.rows);
const batchRows = Number(values.batch);

const server = await startDevServer();
const ch = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 600_000 });

try {
  await ch.command({
    query: `CREATE TABLE bench_events (
      project_id LowCardinality(String), event_id UUID, kind LowCardinality(String), occurred_at DateTime64(3, 'UTC'),
      distinct_id String, session_id String, url String, browser LowCardinality(String), country LowCardinality(FixedString(2)),
      duration_ms UInt32, props Map(String, String)
    ) ENGINE = MergeTree PARTITION BY toYYYYMM(occurred_at) ORDER BY (project_id, kind, occurred_at)`,
  });

  const kinds = ["page_view", "click", "scroll", "form_submit"];
  const browsers = ["Chrome", "Firefox", "Safari", "Edge"];
  const countries = ["DE", "US", "FR", "JP", "BR"];
  const start = Date.parse("2026-01-01T00:00:00Z");
  const batchBody = (offset: number) => {
    let body = "";
    for (let i = offset; i < offset + batchRows && i < totalRows; i++) {
      body += JSON.stringify({
        project_id: `p${i % 3}`,
        event_id: crypto.randomUUID(),
        kind: kinds[i % 4],
        occurred_at: new Date(start + i * 250).toISOString(),
        distinct_id: `anon-${i % 50_000}`,
        session_id: `s-${i % 200_000}`,
        url: `https://example.com/page/${i % 1000}`,
        browser: browsers[i % 4],
        country: countries[i % 5],
        duration_ms: i % 10_000,
        props: { plan: i % 2 ? "pro" : "free" },
      }) + "\n";
    }
    return body;
  };

  // utime + stime of the server process, in seconds (Linux /proc, clock ticks of 1/100 s).
  const serverCpuSeconds = () => {
    const fields = readFileSync(`/proc/${server.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const cpuBefore = serverCpuSeconds();
  let insertMs = 0;
  let bytes = 0;
  for (let offset = 0; offset < totalRows; offset += batchRows) {
    const body = batchBody(offset);
    bytes += body.length;
    const t = performance.now();
    const response = await fetch(`${server.url}/?query=${encodeURIComponent("INSERT INTO bench_events FORMAT JSONEachRow")}`, { method: "POST", body });
    if (!response.ok) throw new Error(await response.text());
    insertMs += performance.now() - t;
  }
  console.log(`insert: ${totalRows.toLocaleString()} rows in ${(insertMs / 1000).toFixed(1)} s of server time = ${Math.round(totalRows / (insertMs / 1000)).toLocaleString()} rows/s (${(bytes / 1e6 / (insertMs / 1000)).toFixed(1)} MB/s JSON, batches of ${batchRows.toLocaleString()})`);
  const cpu = serverCpuSeconds() - cpuBefore;
  console.log(`insert: ${cpu.toFixed(1)} s of server CPU = ${Math.round(totalRows / cpu).toLocaleString()} rows per CPU second`);

  const latency = async (label: string, query: string, runs: number) => {
    const times: number[] = [];
    let answer = "";
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const result = await ch.query({ query, format: "JSONEachRow" });
      answer = JSON.stringify((await result.json()).slice(0, 1));
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
    console.log(`${label}: median ${at(0.5)} ms, p95 ${at(0.95)} ms over ${runs} runs (HTTP round trip included) → ${answer}`);
  };
  await latency("SELECT count()", "SELECT count() FROM bench_events", 30);
  await latency("daily trend by kind", "SELECT toDate(occurred_at) d, kind, count() c FROM bench_events WHERE project_id = 'p1' GROUP BY d, kind ORDER BY d, kind", 5);
  await latency("uniqExact(distinct_id)", "SELECT uniqExact(distinct_id) u FROM bench_events", 5);
} finally {
  await ch.close();
  await server.dispose();
}
