// People at scale, printed as a table:
//  - person resolution: a unique-people count over 30 days on N events (default 10 M) with and without resolving
//    anonymous ids through their aliases (src/domain/identity/person-sql.ts), p50 / p95 of several runs;
//  - identify throughput end to end (`pug server` + `pug worker profile`, calls sent as the SDK sends them, until
//    every merge is committed in Postgres), half of them merging an anonymous profile, half only linking an id;
//  - merge latency (call sent → merge committed in Postgres) p50 / p95, at half the measured throughput;
//  - erasure of one person with 100,000 events among the N: DeleteDataSubject → COMPLETED, through the API and
//    the erasure worker;
// Uses its own Postgres database, ClickHouse database and NATS prefix, and removes them afterwards.
//   bun scripts/bench/profiles.ts [--events 10000000] [--runs 7]

import { parseArgs } from "node:util";
import { personJoin } from "../../src/domain/identity/person-sql.ts";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import type { CreatedProject } from "../../src/server/projects.ts";
import { freePort } from "../../test/support/ports.ts";
import { type RunningPug, startPug, waitForHttp } from "../../test/support/pug-process.ts";
import { benchProject, benchStores } from "./bench-stores.ts";
import { type IdentifyTarget, mergeLatencies, sendIdentifies, waitForRows } from "./lib/identify-load.ts";
import { percentile } from "./lib/percentile.ts";
import { insertSyntheticEvents } from "./lib/synthetic-people.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "10000000" },
    runs: { type: "string", default: "7" },
    identifies: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
  },
});
const totalEvents = Number(values.events);
const runs = Number(values.runs);
const ERASE_EVENTS = 100_000;
const person = personJoin("e");

const stores = await benchStores(`pug_bench_people_${process.pid}`);
const ch = createClickHouse({ url: stores.env.CLICKHOUSE_URL, database: stores.env.CLICKHOUSE_DATABASE, requestTimeoutMs: 600_000 });
const results: { measure: string; figure: string }[] = [];
const running: RunningPug[] = [];
try {
  const project = await benchProject(stores.env);
  const seeding = performance.now();
  const seedSql = createPostgres({ url: stores.env.DATABASE_URL, maxConnections: 1 });
  const aliases = await insertSyntheticEvents(ch, seedSql, {
    projectId: project.projectId,
    events: totalEvents,
    eraseEvents: ERASE_EVENTS,
    onProgress: (done, total) => process.stderr.write(`\rseeding ${done.toLocaleString()} / ${total.toLocaleString()} events`),
  }).finally(() => seedSql.end());
  process.stderr.write("\n");
  results.push({ measure: `seed ${(totalEvents + ERASE_EVENTS).toLocaleString()} events in ClickHouse`, figure: `${((performance.now() - seeding) / 1000).toFixed(1)} s` });

  const params = { project_id: project.projectId };
  const raw = `SELECT uniqExact(distinct_id) AS n FROM events WHERE project_id = {project_id:UUID} AND occurred_at >= now() - INTERVAL 30 DAY`;
  const resolved = `SELECT uniqExact(${person.person}) AS n FROM events AS e ${person.join} WHERE e.project_id = {project_id:UUID} AND e.occurred_at >= now() - INTERVAL 30 DAY`;
  for (const [name, query] of [["unique distinct ids (no resolution)", raw], ["unique people (aliases resolved)", resolved]] as const) {
    const times: number[] = [];
    let answer = "";
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const rows = await (await ch.query({ query, query_params: params, format: "JSONEachRow" })).json<{ n: string }>();
      times.push(performance.now() - started);
      answer = rows[0]!.n;
    }
    results.push({ measure: `${name} on ${(totalEvents + ERASE_EVENTS).toLocaleString()} events: ${Number(answer).toLocaleString()}`, figure: `p50 ${percentile(times, 0.5).toFixed(0)} ms, p95 ${percentile(times, 0.95).toFixed(0)} ms` });
  }
  results.push({ measure: "aliases in the project", figure: aliases.toLocaleString() });

  const target = await startServerAndWorker(project);
  await measureErasure(target, project);
  await measureIdentify(target, project);
} finally {
  await Promise.all(running.map((proc) => proc.stop()));
  await ch.close();
  await stores.cleanup();
}
console.log(`\n| measure | figure |\n|---|---|\n${results.map((r) => `| ${r.measure} | ${r.figure} |`).join("\n")}`);

function benchEnv() {
  return { ...stores.env, PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_IDENTIFY_PS: "0", PUG_WORKER_HEALTH_ADDR: "off" };
}

async function startServerAndWorker(project: CreatedProject) {
  const port = freePort();
  const target = { baseUrl: `http://127.0.0.1:${port}`, apiKey: project.publicKey };
  running.push(startPug(["server"], { ...benchEnv(), PUG_SERVER_PORT: String(port) }));
  await waitForHttp(`${target.baseUrl}/readyz`);
  running.push(startPug(["worker", "profile"], benchEnv()));
  return target;
}

async function measureErasure(target: { baseUrl: string }, project: CreatedProject): Promise<void> {
  const call = async (method: string, body: unknown) => {
    const response = await fetch(`${target.baseUrl}/shared.profiles.v1.ProfilesService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": project.privateKey },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`${method} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };
  const count = async (where: string) => Number((await (await ch.query({ query: `SELECT count() AS n FROM events WHERE ${where}`, format: "JSONEachRow" })).json<{ n: string }>())[0]!.n);
  const erased = "distinct_id = 'user-erase' OR startsWith(distinct_id, 'anon-erase-')";
  // The person as Postgres knows them (the erasure reads their ids there): the profile and its ten aliases.
  const sql = createPostgres({ url: stores.env.DATABASE_URL, maxConnections: 1 });
  try {
    const [profile] = await sql<{ id: string }[]>`INSERT INTO profiles (project_id, external_id) VALUES (${project.projectId}, 'user-erase') RETURNING id`;
    for (let k = 0; k < 10; k++) await sql`INSERT INTO profile_aliases (project_id, alias_id, profile_id) VALUES (${project.projectId}, ${`anon-erase-${k}`}, ${profile!.id})`;
  } finally {
    await sql.end();
  }
  const [personBefore, allBefore] = [await count(erased), await count("1")];
  const started = performance.now();
  const { requestId } = await call("DeleteDataSubject", { externalId: "user-erase" });
  let request: Record<string, string>;
  for (;;) {
    request = await call("GetDeletionRequest", { requestId });
    if (request.status === "COMPLIANCE_REQUEST_STATUS_COMPLETED") break;
    if (request.status === "COMPLIANCE_REQUEST_STATUS_FAILED") throw new Error(`erasure failed: ${request.error}`);
    if (performance.now() - started > 1_800_000) throw new Error("erasure not completed after 30 minutes");
    await Bun.sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const [personAfter, allAfter] = [await count(erased), await count("1")];
  if (personAfter !== 0 || allAfter !== allBefore - personBefore) throw new Error(`erasure left ${personAfter} of the person's events; ${allAfter} of ${allBefore - personBefore} others remain`);
  results.push({ measure: `erase one person: ${personBefore.toLocaleString()} events (11 distinct ids) among ${allBefore.toLocaleString()}, request → COMPLETED`, figure: `${seconds.toFixed(1)} s (events_identified ${request.eventsIdentified})` });
}

async function measureIdentify(target: IdentifyTarget, project: CreatedProject): Promise<void> {
  const sql = createPostgres({ url: stores.env.DATABASE_URL, maxConnections: 2 });
  try {
    const calls = Number(values.identifies);
    const concurrency = Number(values.concurrency);
    // Anonymous profiles for half of the visitors, so half of the identifies below merge one.
    await sendIdentifies(target, Array.from({ length: calls / 2 }, (_, i) => ({ externalId: `anon-burst-${i}`, traits: { plan: "free", visits: i } })), { concurrency });
    await waitForRows(sql, "profiles", project.projectId, "anon-burst-", calls / 2);
    const started = performance.now();
    await sendIdentifies(target, Array.from({ length: calls }, (_, i) => ({ externalId: `person-${i}`, anonymousId: `anon-burst-${i}`, traits: { plan: "pro", email: `p${i}@example.com` } })), { concurrency });
    const sent = performance.now();
    const done = await waitForRows(sql, "profile_aliases", project.projectId, "anon-burst-", calls);
    const perSecond = calls / ((done - started) / 1000);
    results.push({ measure: `identify calls accepted by pug server (answered 200, queued)`, figure: `${Math.round(calls / ((sent - started) / 1000)).toLocaleString()} calls/s` });
    results.push({ measure: `identify end to end, ${calls.toLocaleString()} calls (half merging an anonymous profile), ${concurrency} in flight`, figure: `${Math.round(perSecond).toLocaleString()} calls/s` });

    const paced = Math.max(50, Math.round(perSecond / 2));
    const pacedCalls = Math.min(calls, paced * 20);
    await sendIdentifies(target, Array.from({ length: pacedCalls / 2 }, (_, i) => ({ externalId: `anon-paced-${i}`, traits: { plan: "free" } })), { concurrency });
    await waitForRows(sql, "profiles", project.projectId, "anon-paced-", pacedCalls / 2);
    await sendIdentifies(target, Array.from({ length: pacedCalls }, (_, i) => ({ externalId: `paced-${i}`, anonymousId: `anon-paced-${i}`, traits: { plan: "pro" } })), { concurrency, perSecond: paced });
    await waitForRows(sql, "profile_aliases", project.projectId, "anon-paced-", pacedCalls);
    const latencies = await mergeLatencies(sql, project.projectId, "anon-paced-");
    results.push({ measure: `merge latency (sent → committed in Postgres) at ${paced.toLocaleString()} calls/s, ${pacedCalls.toLocaleString()} calls`, figure: `p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p95 ${percentile(latencies, 0.95).toFixed(1)} ms` });
  } finally {
    await sql.end();
  }
}
