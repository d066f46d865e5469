// Query latency on seeded traffic, printed as a table: p50 / p95 of each dashboard query (src/gen/shared/…) sent
// through the real `pug server` with the stock Connect client and a private key, cold and cached.
//  - Data: `pug seed` (the bulk path) of N events over 90 days into the measured project, plus a second project
//    of N/10 events so the measured one is one among several.
//  - Cold: each run asks for the same range shifted by a second more, so the server's own cache (Redis) misses;
//    ClickHouse's caches (marks, page cache) cannot be emptied from here and stay warm after the first run.
//  - Cached: the last cold request again, `runs` times.
//  - A query type the server does not answer (unimplemented, or any error) is printed as "n/a: <error>".
// Uses its own Postgres database, ClickHouse database, NATS and Redis prefixes, and removes them afterwards.
//   bun scripts/bench/queries.ts [--events 10000000] [--runs 7] [--days 90]

import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { createPostgres } from "../../src/infra/postgres.ts";
import { defaultEndMs } from "../../src/seed/seed-plan.ts";
import { createProject } from "../../src/server/projects.ts";
import { sharedClients, withKey } from "../../test/support/api-clients.ts";
import { freePort } from "../../test/support/ports.ts";
import { pugCommand, pugEnv, type RunningPug, startPug, waitForHttp } from "../../test/support/pug-process.ts";
import { benchProject, benchStores } from "./bench-stores.ts";
import { BENCH_QUERIES, type BenchClients, type BenchQuery } from "./lib/insight-requests.ts";
import { percentile } from "./lib/percentile.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "10000000" },
    runs: { type: "string", default: "7" },
    days: { type: "string", default: "90" },
  },
});
const events = Number(values.events);
const runs = Number(values.runs);

const stores = await benchStores(`pug_bench_queries_${process.pid}`);
const rows: string[][] = [];
let server: RunningPug | undefined;
try {
  const project = await benchProject(stores.env);
  const sql = createPostgres({ url: stores.env.DATABASE_URL, maxConnections: 1 });
  const other = await createProject(sql, "bench neighbour").finally(() => sql.end());
  const endMs = defaultEndMs();
  const seeding = performance.now();
  await seed(project.projectId, events, 1, endMs);
  const seedSeconds = (performance.now() - seeding) / 1000;
  await seed(other.projectId, Math.max(1, Math.round(events / 10)), 2, endMs);

  const port = freePort();
  server = startPug(["server"], { ...stores.env, PUG_SERVER_PORT: String(port), PUG_RATE_LIMIT_IP_RPS: "0" });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/readyz`);
  const clients: BenchClients = sharedClients(baseUrl, false);
  const headers = withKey(project.privateKey).headers;
  for (const query of BENCH_QUERIES) rows.push(await measure(query, clients, endMs, headers));
  console.log(`\n\`pug seed\` of ${events.toLocaleString("en-US")} events with their people: ${seedSeconds.toFixed(1)} s; ${runs} runs of each query\n`);
  console.log(["| query | cold p50 | cold p95 | cached p50 | cached p95 | answer |", "|---|---|---|---|---|---|", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n"));
} finally {
  await server?.stop();
  await stores.cleanup();
}

/** `pug seed` as an operator runs it, its progress bar on this terminal. */
async function seed(projectId: string, count: number, seedNumber: number, endMs: number): Promise<void> {
  const args = ["seed", "--project", projectId, "--events", String(count), "--days", values.days!, "--seed", String(seedNumber), "--end", new Date(endMs).toISOString()];
  const proc = Bun.spawn([...pugCommand(), ...args], { env: pugEnv(stores.env), stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) throw new Error(`pug ${args.join(" ")} failed`);
}

async function measure(query: BenchQuery, clients: BenchClients, endMs: number, headers: Record<string, string>): Promise<string[]> {
  const cold: number[] = [];
  const cached: number[] = [];
  let answer = "";
  const timed = async (toMs: number, into: number[]) => {
    const started = performance.now();
    answer = await query.run(clients, toMs, headers);
    into.push(performance.now() - started);
  };
  try {
    for (let run = 1; run <= runs; run++) await timed(endMs + run * 1000, cold);
    for (let run = 1; run <= runs; run++) await timed(endMs + runs * 1000, cached);
  } catch (error) {
    const reason = error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : String(error);
    return [query.name, `n/a: ${reason.slice(0, 160)}`, "", "", "", ""];
  }
  const ms = (list: number[], p: number) => `${percentile(list, p).toFixed(0)} ms`;
  return [query.name, ms(cold, 0.5), ms(cold, 0.95), ms(cached, 0.5), ms(cached, 0.95), answer];
}
