// The sign-up path as a person takes it, through the dashboard's own client stack: the Connect-JSON transport of
// @connectrpc/connect-web with a 60 s deadline, a bearer interceptor that refreshes the session once on
// `unauthenticated` and retries (as Pug's dashboard does), `x-project-id` per project call and the dashboard's
// Origin. Everything real: `pug server`, the events worker, the email worker and an SMTP peer.
//
// request link → mail received → complete → set a password (the session refreshes once) → create project → create key → ingest with it → query an insight with
// the JWT → revoke the key → ingest refused; then refresh rotation and reuse detection.

import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import { OrgRole, OrgsService } from "../../src/gen/dashboard/orgs/v1/orgs_pb.ts";
import { ApiKeyKind, ProjectsService } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import { AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import { Granularity, InsightsService, InsightType } from "../../src/gen/shared/insights/v1/insights_pb.ts";
import { refusal } from "../support/dashboard-people.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { freePort, waitFor } from "../support/ports.ts";
import { type RunningPug, startPug } from "../support/pug-process.ts";
import { TEST_DASHBOARD_ORIGIN, TEST_JWT_SECRET } from "../support/scratch.ts";
import { batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";
import { type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.ts";

const DASHBOARD_URL = "http://dashboard.test:5173";

let peer: SmtpPeer;
let stack: IngestStack;
let mailer: RunningPug;

beforeAll(async () => {
  peer = await startSmtpPeer();
  stack = await ingestStack("signup_journey", { worker: true, env: { PUG_SMTP_URL: peer.url, PUG_DASHBOARD_URL: DASHBOARD_URL, PUG_EMAIL_FROM: "Pug <pug@dashboard.test>" } });
  mailer = startPug(["worker", "email"], { ...stack.env, PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${freePort()}` });
});
afterAll(async () => {
  await mailer?.stop();
  await stack?.stop();
  await peer?.stop();
});

/** What the dashboard keeps in local storage. */
const session = { token: "", refreshToken: "", refreshes: 0 };

function transport(interceptors: Interceptor[] = []) {
  const origin: Interceptor = (next) => async (req) => {
    req.header.set("origin", TEST_DASHBOARD_ORIGIN);
    return await next(req);
  };
  return createConnectTransport({ baseUrl: stack.baseUrl, defaultTimeoutMs: 60_000, interceptors: [...interceptors, origin] });
}

/** The dashboard's bearer handling: send the access token; on `unauthenticated` refresh once and retry. */
function bearer(auth: Client<typeof AuthService>): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${session.token}`);
    try {
      return await next(req);
    } catch (error) {
      if (!(error instanceof ConnectError) || error.code !== Code.Unauthenticated || req.stream) throw error;
      const fresh = await auth.refreshSession({ refreshToken: session.refreshToken });
      Object.assign(session, { token: fresh.token, refreshToken: fresh.refreshToken, refreshes: session.refreshes + 1 });
      req.header.set("authorization", `Bearer ${session.token}`);
      return await next(req);
    }
  };
}

function clients() {
  const auth = createClient(AuthService, transport());
  const signedIn = transport([bearer(auth)]);
  return {
    auth,
    customers: createClient(CustomersService, signedIn),
    orgs: createClient(OrgsService, signedIn),
    projects: createClient(ProjectsService, signedIn),
    insights: createClient(InsightsService, signedIn),
  };
}

const project = (id: string) => ({ headers: { "x-project-id": id } });

test("a new person signs up by mail, creates a project and a key, sends events, reads them, and revokes the key", async () => {
  const api = clients();
  expect((await api.auth.getAuthConfig({})).providers).toEqual([]);

  await api.auth.requestMagicLink({ email: " Ada@Example.COM " });
  const [mail] = await peer.waitForMails("ada@example.com", 1, 20_000);
  expect(mail!.from).toBe("pug@dashboard.test");
  const link = /(http:\/\/dashboard\.test:5173\/magic-link\?token=[0-9a-f]{64})/.exec(mail!.text)?.[1];
  expect(link).toBeDefined();
  expect(mail!.html).toContain(link!);

  const signedIn = await api.auth.completeMagicLink({ token: new URL(link!).searchParams.get("token")!, timezone: "Europe/Berlin" });
  Object.assign(session, { token: signedIn.token, refreshToken: signedIn.refreshToken });
  expect(await api.customers.getMe({})).toMatchObject({ email: "ada@example.com", emailVerified: true });

  // Setting a password ends every session's access tokens issued before it (they count whole seconds: wait into
  // the next one); the dashboard's refresh-once carries its own session on.
  await Bun.sleep(1000 - (Date.now() % 1000) + 20);
  await api.customers.setPassword({ password: "ada's long password" });
  expect(session.refreshes).toBe(0);
  expect(await api.customers.getMe({})).toMatchObject({ email: "ada@example.com" });
  expect(session.refreshes).toBe(1);

  const [org] = (await api.orgs.list({})).orgs;
  expect(org).toMatchObject({ role: OrgRole.ADMIN });
  const firstProjects = (await api.projects.batchGet({ orgId: org!.id })).projects;
  expect(firstProjects.map((p) => [p.displayName, p.reportingTimezone])).toEqual([["My project", "Europe/Berlin"]]);

  const shop = (await api.projects.create({ orgId: org!.id, displayName: "Shop", reportingTimezone: "UTC" })).project!;
  const created = await api.projects.createApiKey({ kind: ApiKeyKind.PUBLIC, displayName: "website" }, project(shop.id));
  expect(created.key).toMatch(/^pub_[0-9a-f]{32}$/);
  expect((await api.projects.listApiKeys({}, project(shop.id))).apiKeys.map((k) => [k.displayName, k.key])).toEqual([["website", created.key]]);

  // A key is live on every server within the key snapshot's refresh.
  await waitFor("the new key to be accepted", async () => (await sdkRequest(stack.baseUrl, created.key, batchBody([sdkEvent(shop.id)]))).status === 200, 5_000);
  expect((await sdkRequest(stack.baseUrl, created.key, batchBody([sdkEvent(shop.id), sdkEvent(shop.id)]))).status).toBe(200);
  await waitFor("three events stored", async () => (await stack.stored(`project_id = '${shop.id}'`)).ids === 3, 30_000);
  expect(await stack.stored(`project_id = '${shop.id}'`)).toEqual({ rows: 3, ids: 3 });

  const now = Date.now();
  const answer = await api.insights.query(
    { spec: { insightType: InsightType.TRENDS, events: [{ event: { kind: "page_view" } }] }, timeRange: { from: timestampFromMs(now - 3_600_000), to: timestampFromMs(now + 60_000) }, granularity: Granularity.HOUR },
    project(shop.id),
  );
  const points = answer.result.case === "trends" ? answer.result.value.series.flatMap((s) => s.points.map((p) => p.value)) : [];
  expect(points.reduce((a, b) => a + b, 0)).toBe(3);
  // The first project saw none of it.
  const elsewhere = await api.insights.query(
    { spec: { insightType: InsightType.SEGMENTATION, events: [{ event: { kind: "page_view" } }] }, timeRange: { from: timestampFromMs(now - 3_600_000), to: timestampFromMs(now + 60_000) }, granularity: Granularity.HOUR },
    project(firstProjects[0]!.id),
  );
  expect(elsewhere.result.case === "segmentation" ? elsewhere.result.value.total : -1).toBe(0);

  await api.projects.deleteApiKey({ id: (await api.projects.listApiKeys({}, project(shop.id))).apiKeys[0]!.id }, project(shop.id));
  // Until every server's key snapshot has caught up (about a second) the key still works; what it sent counts.
  let acceptedMeanwhile = 0;
  await waitFor("the revoked key to be refused", async () => {
    const status = (await sdkRequest(stack.baseUrl, created.key, batchBody([sdkEvent(shop.id)]))).status;
    if (status === 200) acceptedMeanwhile++;
    return status === 401;
  }, 5_000);
  await waitFor("what was accepted to be stored", async () => (await stack.stored(`project_id = '${shop.id}'`)).ids === 3 + acceptedMeanwhile, 30_000);
  expect((await sdkRequest(stack.baseUrl, created.key, batchBody([sdkEvent(shop.id)]))).status).toBe(401);
});

test("an expired access token is refreshed by rotation; presenting a spent refresh token ends the whole family", async () => {
  const api = clients();
  const me = await api.customers.getMe({});
  const spent = session.refreshToken;
  const refreshes = session.refreshes;
  session.token = await signAccessToken(TEST_JWT_SECRET, me.customerId, { nowSeconds: Math.floor(Date.now() / 1000) - 25 * 3600 });

  expect((await api.customers.getMe({})).email).toBe("ada@example.com");
  expect(session.refreshes).toBe(refreshes + 1);
  expect(session.refreshToken).not.toBe(spent);

  // Someone replays the old refresh token: refused, and the current one (same family) dies with it.
  expect(await refusal(api.auth.refreshSession({ refreshToken: spent }))).toStartWith("Unauthenticated:");
  expect(await refusal(api.auth.refreshSession({ refreshToken: session.refreshToken }))).toStartWith("Unauthenticated:");
});
