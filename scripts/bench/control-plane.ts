// The dashboard's control plane under a real `pug server`, through the dashboard's own transport (connect-web,
// JSON), printed as one table of p50 / p95 latencies and rates:
//  1. the auth boundary: the same project read with a dashboard token + x-project-id (JWT check and a membership
//     lookup in Postgres) and with a private API key (in-memory key snapshot), one at a time and 32 in flight;
//     a public call (GetAuthConfig, no credential) as the floor;
//  2. the dashboard's start-up calls (GetMe, OrgsService.List/Get, ProjectsService.BatchGet/Get,
//     DashboardsService.List of 10 dashboards of 8 tiles), each, and in the order the dashboard makes them;
//  3. QueryDashboard of an 8-tile dashboard (trends, segmentation, top-k, funnel) over 30 days of N seeded events
//     (the bulk path of `pug seed`): cold (each run's range ends a second later, so the query cache misses;
//     ClickHouse's own caches stay warm) and warm (the last range again, answered from the query cache);
//  4. sign-in: RequestMagicLink → the link read from the queued mail on the email stream → CompleteMagicLink, for
//     a returning person and a first sign-in (which creates org, project and keys); SignInWithEmail (argon2id) one
//     at a time, at the server's cap of concurrent checks and above it; RefreshSession. Each link request comes from an address and IP of its own
//     (X-Forwarded-For; the per-address and per-IP limits of sign-in-limits.ts are constants).
// Cheap calls are timed 10 × runs times, the rest `runs` times. Uses its own Postgres database, ClickHouse
// database, NATS and Redis prefixes, and removes them afterwards (also when it fails or is interrupted).
//   bun scripts/bench/control-plane.ts [--events 1000000] [--runs 20]

import { parseArgs } from "node:util";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import { hashPassword } from "../../src/domain/auth/password.ts";
import { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import { DashboardsService, type RenderedDashboard } from "../../src/gen/dashboard/dashboards/v1/dashboards_pb.ts";
import { OrgsService } from "../../src/gen/dashboard/orgs/v1/orgs_pb.ts";
import { ProjectsService } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import { AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import { AggregationType, Granularity, InsightsService, InsightType } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { createClickHouse } from "../../src/infra/clickhouse.ts";
import { connectNats, type Nats } from "../../src/infra/nats.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { insertTraffic } from "../../src/seed/bulk-events.ts";
import { insertPeople } from "../../src/seed/seed-people.ts";
import { defaultEndMs, seedPlan } from "../../src/seed/seed-plan.ts";
import { createProject } from "../../src/server/projects.ts";
import { CONCURRENT_PASSWORD_CHECKS } from "../../src/server/dashboard/password-checks.ts";
import { freePort } from "../../test/support/ports.ts";
import { type RunningPug, startPug, waitForHttp } from "../../test/support/pug-process.ts";
import { benchProject, benchStores } from "./bench-stores.ts";
import { BENCH_TILES } from "./lib/bench-dashboard.ts";
import { lastMailedToken, seedCustomers } from "./lib/bench-people.ts";
import { deleteRedisPrefix } from "./lib/redis-prefix.ts";
import { inFlight, ms, oneAtATime, p50p95 } from "./lib/timed-calls.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "1000000" }, runs: { type: "string", default: "20" } } });
const events = Number(values.events);
const runs = Number(values.runs);
const cheapRuns = runs * 10;
const DAY_MS = 86_400_000;
const JWT_SECRET = "bench-secret-of-the-control-plane-0123456789";
const DASHBOARD_URL = "http://dashboard.bench:5173";
const PASSWORD = "correct horse battery staple";

interface Row {
  measure: string;
  latency: string;
  rate?: string;
}
const rows: Row[] = [];
const section = (title: string) => rows.push({ measure: `**${title}**`, latency: "" });

const stores = await benchStores(`pug_bench_control_${process.pid}`);
let server: RunningPug | undefined;
let sql: Sql | undefined;
let nats: Nats | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await server?.stop();
    await sql?.end();
    await nats?.close();
    await deleteRedisPrefix(stores.env.REDIS_URL, stores.env.PUG_REDIS_PREFIX);
    await stores.cleanup();
  })());
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

try {
  const project = await benchProject(stores.env);
  sql = createPostgres({ url: stores.env.DATABASE_URL, maxConnections: 2 });
  // A second, empty project of the same org: the auth boundary's reads there cost ClickHouse next to nothing.
  const quiet = await createProject(sql, "bench quiet");
  const endMs = defaultEndMs();
  const seedSeconds = await seedEvents(project.projectId, endMs);

  const [adminId] = await seedCustomers(sql, ["bench-admin@example.test"], project.orgId, "admin");
  const bearer = { authorization: `Bearer ${await signAccessToken(JWT_SECRET, adminId!)}` };

  const port = freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  server = startPug(["server"], {
    ...stores.env,
    PUG_SERVER_PORT: String(port),
    PUG_RATE_LIMIT_IP_RPS: "0",
    PUG_JWT_SECRET_KEY: JWT_SECRET,
    PUG_SIGNUP: "open",
    PUG_DASHBOARD_URL: DASHBOARD_URL,
    PUG_CORS_ORIGINS: DASHBOARD_URL,
    // The benchmark is its own proxy: each link request names an address of its own in X-Forwarded-For.
    PUG_TRUSTED_PROXIES: "127.0.0.1",
  });
  await waitForHttp(`${baseUrl}/readyz`);
  nats = await connectNats({ url: stores.env.NATS_URL, prefix: stores.env.PUG_NATS_PREFIX });
  const clients = clientsOf(baseUrl);

  await measureAuthBoundary(clients, { ...bearer, "x-project-id": quiet.projectId }, { "x-api-key": quiet.privateKey }, endMs);
  const dashboardId = await measureStartUp(clients, bearer, project.orgId, project.projectId);
  await measureQueryDashboard(clients, { ...bearer, "x-project-id": project.projectId }, dashboardId, endMs);
  await measureSignIn(clients, sql, nats, project.orgId);

  console.log(`\n${events.toLocaleString("en-US")} events seeded (bulk path) in ${seedSeconds.toFixed(1)} s; ${runs} runs of each costly call, ${cheapRuns} of each cheap one\n`);
  console.log(["| measure | latency | rate |", "|---|---|---|", ...rows.map((r) => `| ${r.measure} | ${r.latency} | ${r.rate ?? ""} |`)].join("\n"));
} finally {
  await cleanup();
}

/** N events over 30 days ending at `endMs`, with their people, by `pug seed`'s bulk path; seconds taken. */
async function seedEvents(projectId: string, endMs: number): Promise<number> {
  const ch = createClickHouse({ url: stores.env.CLICKHOUSE_URL, database: stores.env.CLICKHOUSE_DATABASE, requestTimeoutMs: 600_000 });
  const started = performance.now();
  try {
    const plan = seedPlan({ projectId, events, days: 30, seed: 1, endMs });
    await insertTraffic(ch, plan, (done) => process.stderr.write(`\rseeding ${done.toLocaleString("en-US")} / ${events.toLocaleString("en-US")} events`));
    await insertPeople(sql!, ch, plan, () => {});
    process.stderr.write("\n");
  } finally {
    await ch.close();
  }
  return (performance.now() - started) / 1000;
}

/** Clients on the dashboard's own transport (connect-web, JSON). */
function clientsOf(baseUrl: string) {
  const transport = createConnectTransport({ baseUrl, useBinaryFormat: false });
  return {
    auth: createClient(AuthService, transport),
    customers: createClient(CustomersService, transport),
    orgs: createClient(OrgsService, transport),
    projects: createClient(ProjectsService, transport),
    dashboards: createClient(DashboardsService, transport),
    insights: createClient(InsightsService, transport),
  };
}
type Clients = ReturnType<typeof clientsOf>;

async function measureAuthBoundary(c: Clients, dashboard: Record<string, string>, privateKey: Record<string, string>, toMs: number) {
  section("1. auth boundary (an empty project)");
  const cachedQuery = {
    spec: { insightType: InsightType.TRENDS, events: [{ event: { kind: "page_view" }, aggregation: AggregationType.TOTAL }] },
    timeRange: { from: timestampFromMs(toMs - 7 * DAY_MS), to: timestampFromMs(toMs) },
    granularity: Granularity.DAY,
  };
  const reads: [string, (headers: Record<string, string>) => Promise<unknown>][] = [
    ["InsightsService.GetFilterSchema (2 small ClickHouse reads)", (headers) => c.insights.getFilterSchema({}, { headers })],
    ["InsightsService.Query, answer in the query cache (1 Redis read)", (headers) => c.insights.query(cachedQuery, { headers })],
  ];
  await timeCall("AuthService.GetAuthConfig (public, no credential: the floor)", () => c.auth.getAuthConfig({}));
  for (const [name, read] of reads) {
    for (const [credential, headers] of [["dashboard JWT + x-project-id", dashboard], ["private API key", privateKey]] as const) {
      await timeCall(`${name}, ${credential}`, () => read(headers));
    }
  }
}

/** One at a time, then 32 in flight; a few calls first so connections and caches are warm. */
async function timeCall(name: string, call: () => Promise<unknown>) {
  await oneAtATime(20, call);
  rows.push({ measure: `${name}, one at a time`, latency: p50p95(await oneAtATime(cheapRuns, call)) });
  const load = await inFlight(32, cheapRuns * 4, call);
  rows.push({ measure: `${name}, 32 in flight`, latency: p50p95(load.times), rate: `${Math.round(load.perSecond).toLocaleString("en-US")} calls/s` });
}

async function measureStartUp(c: Clients, headers: Record<string, string>, orgId: string, projectId: string): Promise<string> {
  const inProject = { ...headers, "x-project-id": projectId };
  const ids: string[] = [];
  for (let n = 1; n <= 10; n++) {
    const { dashboard } = await c.dashboards.create({ displayName: `Bench ${n}` }, { headers: inProject });
    await c.dashboards.upsert({ id: dashboard!.id, tiles: BENCH_TILES }, { headers: inProject });
    ids.push(dashboard!.id);
  }
  section("2. dashboard start-up (10 dashboards of 8 tiles)");
  const calls: [string, () => Promise<unknown>][] = [
    ["CustomersService.GetMe", () => c.customers.getMe({}, { headers })],
    ["OrgsService.List", () => c.orgs.list({}, { headers })],
    ["OrgsService.Get", () => c.orgs.get({ orgId }, { headers })],
    ["ProjectsService.BatchGet", () => c.projects.batchGet({ orgId }, { headers })],
    ["ProjectsService.Get (x-project-id)", () => c.projects.get({}, { headers: inProject })],
    ["DashboardsService.List (10 × 8 tiles)", () => c.dashboards.list({}, { headers: inProject })],
    ["start-up in order: GetMe → OrgsService.Get ∥ BatchGet → DashboardsService.List", async () => {
      await c.customers.getMe({}, { headers });
      await Promise.all([c.orgs.get({ orgId }, { headers }), c.projects.batchGet({ orgId }, { headers })]);
      await c.dashboards.list({}, { headers: inProject });
    }],
  ];
  for (const [name, call] of calls) {
    await oneAtATime(10, call);
    rows.push({ measure: name, latency: p50p95(await oneAtATime(cheapRuns, call)) });
  }
  return ids[0]!;
}

async function measureQueryDashboard(c: Clients, headers: Record<string, string>, dashboardId: string, toMs: number) {
  section(`3. QueryDashboard, 8 tiles over 30 days of ${events.toLocaleString("en-US")} events`);
  let rendered: RenderedDashboard | undefined;
  const render = async (endMs: number) => {
    const range = { from: timestampFromMs(endMs - 30 * DAY_MS), to: timestampFromMs(endMs) };
    rendered = (await c.dashboards.queryDashboard({ dashboardId, timeRange: range, granularity: Granularity.DAY }, { headers })).dashboard;
  };
  const cold = await oneAtATime(runs, (run) => render(toMs + (run + 1) * 1000));
  const warm = await oneAtATime(runs, () => render(toMs + runs * 1000));
  const failed = rendered!.tiles.filter((tile) => tile.outcome.case !== "result").map((tile) => `${tile.tile!.displayName}: ${tile.outcome.value}`);
  const answered = failed.length === 0 ? "all 8 tiles answered" : `tiles failed: ${failed.join("; ")}`;
  rows.push({ measure: `cold (query cache missed; ${answered})`, latency: p50p95(cold) });
  rows.push({ measure: "warm (every tile from the query cache)", latency: p50p95(warm) });
}

async function measureSignIn(c: Clients, db: Sql, stream: Nats, orgId: string) {
  section("4. sign-in");
  const returning = Array.from({ length: runs }, (_, i) => `bench-link-${i}@example.test`);
  await seedCustomers(db, returning, orgId, "member");
  const fromIp = (i: number) => ({ headers: { "x-forwarded-for": `198.18.${i >> 8}.${i & 255}` } });
  let ip = 0;
  for (const [who, addresses] of [["returning person", returning], ["first sign-in: creates org, project, keys", returning.map((a) => a.replace("link", "new"))]] as const) {
    const requested: number[] = [];
    const completed: number[] = [];
    const total = await oneAtATime(runs, async (run) => {
      const email = addresses[run]!;
      const started = performance.now();
      await c.auth.requestMagicLink({ email }, fromIp(ip++));
      requested.push(performance.now() - started);
      const token = await lastMailedToken(stream, JWT_SECRET, email);
      const completing = performance.now();
      await c.auth.completeMagicLink({ token, timezone: "Europe/Berlin" });
      completed.push(performance.now() - completing);
    });
    rows.push({ measure: `magic link, ${who}: RequestMagicLink`, latency: p50p95(requested) });
    rows.push({ measure: `magic link, ${who}: CompleteMagicLink`, latency: p50p95(completed) });
    rows.push({ measure: `magic link, ${who}: request → mail read from the stream → complete`, latency: p50p95(total) });
  }

  const hashing = performance.now();
  const hash = await hashPassword(PASSWORD);
  const hashMs = performance.now() - hashing;
  const people = Array.from({ length: 16 }, (_, i) => `bench-password-${i}@example.test`);
  await seedCustomers(db, people, orgId, "member", hash);
  const signIn = (i: number) => c.auth.signInWithEmail({ email: people[i % people.length]!, password: PASSWORD });
  await oneAtATime(3, signIn);
  rows.push({ measure: `SignInWithEmail (argon2id; one hash here took ${ms(hashMs)}), one at a time`, latency: p50p95(await oneAtATime(runs, signIn)) });
  // Each server checks at most CONCURRENT_PASSWORD_CHECKS passwords at once and turns the rest away at once.
  const load = await inFlight(CONCURRENT_PASSWORD_CHECKS, runs * 4, signIn);
  rows.push({ measure: `SignInWithEmail, ${CONCURRENT_PASSWORD_CHECKS} in flight (the server's cap)`, latency: p50p95(load.times), rate: `${load.perSecond.toFixed(1)} sign-ins/s` });
  let busy = 0;
  const overCap = await inFlight(16, runs * 4, (i) =>
    signIn(i).catch((error) => {
      if (!(error instanceof ConnectError) || error.code !== Code.ResourceExhausted) throw error;
      busy++;
    }),
  );
  rows.push({ measure: "SignInWithEmail, 16 in flight: turned away busy", latency: p50p95(overCap.times), rate: `${busy} of ${runs * 4} refused` });

  let refreshToken = (await signIn(0)).refreshToken;
  const refreshes = await oneAtATime(cheapRuns, async () => {
    refreshToken = (await c.auth.refreshSession({ refreshToken })).refreshToken;
  });
  rows.push({ measure: "RefreshSession (rotating one session)", latency: p50p95(refreshes) });
}
