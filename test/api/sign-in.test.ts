// Sign-in for the dashboard against a running `pug server`: mailed links (read from the email stream, as the
// email worker would), passwords, rotating refresh tokens, invitations and `pug login-link`.

import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signAccessToken, verifyAccessToken } from "../../src/domain/auth/access-token.ts";
import { generateSecretToken, secretTokenHash } from "../../src/domain/auth/secret-token.ts";
import type { EmailJob } from "../../src/domain/email/email-job.ts";
import { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import { ProjectsService } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import { AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { queuedMail, refusal } from "../support/dashboard-people.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { freePort } from "../support/ports.ts";
import { expectSuccess, type RunningPug, runPug, startPug, waitForHttp } from "../support/pug-process.ts";
import { TEST_JWT_SECRET } from "../support/scratch.ts";

const DASHBOARD = "http://localhost:5173";

let stack: IngestStack;
let sql: Sql;
let inviteOnlyServer: RunningPug;
let auth: Client<typeof AuthService>;
let inviteOnlyAuth: Client<typeof AuthService>;
let inviteOnlyCustomers: Client<typeof CustomersService>;
/** The second server is mid-rotation: it still accepts tokens of this secret. */
const PREVIOUS_SECRET = "the-secret-before-the-rotation-of-the-second-server";
let customers: Client<typeof CustomersService>;
let projects: Client<typeof ProjectsService>;

beforeAll(async () => {
  // The test runner is its own proxy: each test speaks from addresses of its own (X-Forwarded-For), so the
  // per-IP limit of one test does not spill into the next.
  stack = await ingestStack("sign_in", { env: { PUG_SIGNUP: "open", PUG_TRUSTED_PROXIES: "127.0.0.1", PUG_DASHBOARD_URL: DASHBOARD } });
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  const transport = createConnectTransport({ baseUrl: stack.baseUrl, useBinaryFormat: false });
  auth = createClient(AuthService, transport);
  customers = createClient(CustomersService, transport);
  projects = createClient(ProjectsService, transport);
  // A second server on the same stores, with sign-up by invitation only.
  const port = freePort();
  inviteOnlyServer = startPug(["server"], { ...stack.env, PUG_SIGNUP: "invite_only", PUG_SERVER_PORT: String(port), PUG_JWT_SECRET_KEY_PREVIOUS: PREVIOUS_SECRET });
  await waitForHttp(`http://127.0.0.1:${port}/readyz`);
  const inviteOnlyTransport = createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, useBinaryFormat: false });
  inviteOnlyAuth = createClient(AuthService, inviteOnlyTransport);
  inviteOnlyCustomers = createClient(CustomersService, inviteOnlyTransport);
});
afterAll(async () => {
  await inviteOnlyServer?.stop();
  await sql?.end();
  await stack?.stop();
});

let lastIp = 0;
/** Call options from an address no other call used. */
const fresh = () => ({ headers: { "x-forwarded-for": `198.51.100.${++lastIp}` } });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
/** Call options from the client address `ip`. */
const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });

/** Every mail queued for `to`, oldest first, as the email worker would read them. */
async function mailsTo(to: string): Promise<EmailJob[]> {
  return (await queuedMail(stack.nats)).filter((job) => job.to === to);
}

async function lastLinkTo(to: string): Promise<string> {
  const job = (await mailsTo(to)).at(-1);
  if (job?.template !== "magic_link") throw new Error(`no sign-in mail to ${to}`);
  return job.data.link;
}

const tokenOf = (link: string) => new URL(link).searchParams.get("token") ?? "";

async function requestToken(email: string, client = auth): Promise<string> {
  await client.requestMagicLink({ email }, fresh());
  return tokenOf(await lastLinkTo(email));
}

async function signIn(email: string, timezone = "UTC") {
  return await auth.completeMagicLink({ token: await requestToken(email), timezone });
}


const USED = "Unauthenticated: this sign-in link is invalid, used or expired; request a new one";

async function customerIdOf(email: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`SELECT id FROM customers WHERE email = ${email}`;
  return row!.id;
}

describe("magic links", () => {
  test("request → mail queued with a link → complete → tokens; the first sign-in creates org, project and keys", async () => {
    expect(await refusal(auth.requestMagicLink({ email: "  Ada@Example.COM " }, fresh()))).toBe("ok");
    const [mail] = await mailsTo("ada@example.com");
    expect(mail).toMatchObject({ template: "magic_link", to: "ada@example.com", data: { expiresMinutes: 15 } });
    expect(mail!.idempotencyKey).toMatch(/^magic-link-[0-9a-f]{32}$/);
    const link = (mail as Extract<EmailJob, { template: "magic_link" }>).data.link;
    expect(link).toMatch(new RegExp(`^${DASHBOARD}/magic-link\\?token=[0-9a-f]{64}$`));
    const [stored] = await sql<{ hashed: boolean; minutes: number }[]>`
      SELECT token_sha256 = ${secretTokenHash(tokenOf(link))} AS hashed, round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes
      FROM magic_links WHERE email = 'ada@example.com'`;
    expect(stored).toEqual({ hashed: true, minutes: 15 });
    // Not sent once the link has expired: the job carries the link's expiry (ms since the epoch).
    const [expiry] = await sql<{ ms: number }[]>`SELECT (extract(epoch FROM expires_at) * 1000)::float8 AS ms FROM magic_links WHERE email = 'ada@example.com'`;
    expect(Math.abs(mail!.notAfter! - expiry!.ms)).toBeLessThan(5_000);

    const session = await auth.completeMagicLink({ token: tokenOf(link), timezone: "Europe/Berlin" });
    expect(session.refreshToken).toMatch(/^[0-9a-f]{64}$/);
    const customerId = await customerIdOf("ada@example.com");
    expect((await verifyAccessToken(TEST_JWT_SECRET, session.token)).customerId).toBe(customerId);

    const me = await customers.getMe({}, bearer(session.token));
    expect({ customerId: me.customerId, email: me.email, emailVerified: me.emailVerified }).toEqual({ customerId, email: "ada@example.com", emailVerified: true });

    const made = await sql`
      SELECT o.name AS org, m.role, p.name AS project, p.reporting_timezone,
        (SELECT array_agg(k.kind ORDER BY k.kind) FROM api_keys k WHERE k.project_id = p.id AND k.revoked_at IS NULL) AS keys
      FROM org_members m JOIN orgs o ON o.id = m.org_id JOIN projects p ON p.org_id = o.id WHERE m.customer_id = ${customerId}`;
    expect([...made]).toEqual([{ org: "ada's org", role: "admin", project: "My project", reporting_timezone: "Europe/Berlin", keys: ["private", "public"] }]);
  });

  test("a link is single use, and a returning person gets no second org", async () => {
    const token = await requestToken("ada@example.com");
    await auth.completeMagicLink({ token, timezone: "UTC" });
    expect(await refusal(auth.completeMagicLink({ token, timezone: "UTC" }))).toBe(USED);
    const memberships = await sql`SELECT role FROM org_members WHERE customer_id = ${await customerIdOf("ada@example.com")}`;
    expect([...memberships]).toEqual([{ role: "admin" }]);
  });

  test("a newer link voids the older one", async () => {
    const older = await requestToken("bea@example.com");
    const newer = await requestToken("bea@example.com");
    expect(older).not.toBe(newer);
    expect(await refusal(auth.completeMagicLink({ token: older, timezone: "UTC" }))).toBe(USED);
    expect(await refusal(auth.completeMagicLink({ token: newer, timezone: "Not/AZone" }))).toBe("ok");
    const [project] = await sql`SELECT p.reporting_timezone FROM projects p JOIN org_members m ON m.org_id = p.org_id WHERE m.customer_id = ${await customerIdOf("bea@example.com")}`;
    expect(project).toEqual({ reporting_timezone: "UTC" });
  });

  test("an expired link is refused", async () => {
    const token = await requestToken("cleo@example.com");
    await sql`UPDATE magic_links SET expires_at = now() - interval '1 second' WHERE token_sha256 = ${secretTokenHash(token)}`;
    expect(await refusal(auth.completeMagicLink({ token, timezone: "UTC" }))).toBe(USED);
    expect(await sql`SELECT 1 FROM customers WHERE email = 'cleo@example.com'`).toHaveLength(0);
  });

  test("bad input names the field", async () => {
    expect(await refusal(auth.requestMagicLink({ email: "ada lovelace@example.com" }, fresh()))).toBe("InvalidArgument: email: must not contain spaces, quotes or any of <>()[]\\,;:");
    expect(await refusal(auth.requestMagicLink({ email: "" }, fresh()))).toBe("InvalidArgument: email: required");
    expect(await refusal(auth.signInWithEmail({ email: "ada@example.com", password: "" }))).toBe("InvalidArgument: password: required");
    expect(await refusal(auth.completeMagicLink({ token: "abc", timezone: "UTC" }))).toBe("InvalidArgument: token: must be the 64 hex digits of a sign-in or invitation link");
    expect(await refusal(auth.completeMagicLink({ token: generateSecretToken(), timezone: "UTC" }))).toBe(USED);
  });

  test("under invite_only, unknown addresses are answered OK and sent nothing; known ones get their link", async () => {
    expect(await refusal(inviteOnlyAuth.requestMagicLink({ email: "stranger@example.org" }, fresh()))).toBe("ok");
    expect(await mailsTo("stranger@example.org")).toEqual([]);
    const token = await requestToken("ada@example.com", inviteOnlyAuth);
    expect(await refusal(inviteOnlyAuth.completeMagicLink({ token, timezone: "UTC" }))).toBe("ok");
    // A link for a new address (asked for while sign-up was open) does not sign it up, and is not spent by trying.
    const pending = await requestToken("dora@example.com");
    expect(await refusal(inviteOnlyAuth.completeMagicLink({ token: pending, timezone: "UTC" }))).toBe(
      "PermissionDenied: sign-up on this server is by invitation only: ask an admin of your team to invite you",
    );
    expect(await sql`SELECT 1 FROM customers WHERE email = 'dora@example.com'`).toHaveLength(0);
    expect(await refusal(auth.completeMagicLink({ token: pending, timezone: "UTC" }))).toBe("ok");
  });

  test("requests are limited per address and per client IP", async () => {
    for (let i = 0; i < 5; i++) await auth.requestMagicLink({ email: "eve@example.com" }, fresh());
    expect(await refusal(auth.requestMagicLink({ email: "eve@example.com" }, fresh()))).toMatch(
      /^ResourceExhausted: too many sign-in links requested for this address; try again in \d+ minutes?$/,
    );
    expect(await mailsTo("eve@example.com")).toHaveLength(5);
    const oneIp = fresh();
    for (let i = 0; i < 20; i++) await auth.requestMagicLink({ email: `flood${i}@example.com` }, oneIp);
    expect(await refusal(auth.requestMagicLink({ email: "flood-last@example.com" }, oneIp))).toMatch(
      /^ResourceExhausted: too many sign-in links requested from your network; try again in \d+ minutes?$/,
    );
  });

  test("IPv6 clients are limited by their /64, not by each address", async () => {
    for (let i = 1; i <= 20; i++) await auth.requestMagicLink({ email: `v6flood${i}@example.com` }, from(`2001:db8:6:4::${i.toString(16)}`));
    expect(await refusal(auth.requestMagicLink({ email: "v6flood-last@example.com" }, from("2001:db8:6:4:ffff:ffff:ffff:ffff")))).toMatch(
      /^ResourceExhausted: too many sign-in links requested from your network; try again in \d+ minutes?$/,
    );
    expect(await refusal(auth.requestMagicLink({ email: "v6flood-last@example.com" }, from("2001:db8:6:5::1")))).toBe("ok");
  });

  test("requests at once for one address leave exactly one live link", async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => refusal(auth.requestMagicLink({ email: "nia@example.com" }, fresh()))));
    expect(answers).toEqual(["ok", "ok", "ok", "ok"]);
    expect(await mailsTo("nia@example.com")).toHaveLength(4);
    const [links] = await sql`SELECT count(*)::int AS links, count(*) FILTER (WHERE used_at IS NULL AND voided_at IS NULL)::int AS live FROM magic_links WHERE email = 'nia@example.com'`;
    expect(links).toEqual({ links: 4, live: 1 });
  });

  test("an address whose lock name hashes onto one of Pug's own long-held locks does not wait behind it", async () => {
    // What the per-address lock once was: a 32-bit hash in the keyspace of the writer, job and migration locks, so
    // an address could be searched for that collides with a lock held for a worker's whole life.
    const holder = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      const held = await holder.reserve();
      await held`SELECT pg_advisory_lock(hashtext('magic ' || 'omar@example.com'))`;
      const answer = await Promise.race([refusal(auth.requestMagicLink({ email: "omar@example.com" }, fresh())), Bun.sleep(5_000).then(() => "still waiting after 5 s")]);
      expect(answer).toBe("ok");
      held.release();
    } finally {
      await holder.end();
    }
  });
});

describe("passwords", () => {
  test("set a password, sign in with it; wrong or unknown is one answer", async () => {
    const { token } = await signIn("fay@example.com");
    expect(await refusal(customers.setPassword({ password: "short" }, bearer(token)))).toBe("InvalidArgument: password: must be 10 to 200 characters (got 5)");
    await customers.setPassword({ password: "a long enough secret" }, bearer(token));
    const [row] = await sql<{ password_hash: string }[]>`SELECT password_hash FROM customers WHERE email = 'fay@example.com'`;
    expect(row!.password_hash).toStartWith("$argon2id$");

    const session = await auth.signInWithEmail({ email: "Fay@Example.com", password: "a long enough secret" });
    expect((await customers.getMe({}, bearer(session.token))).email).toBe("fay@example.com");
    expect(session.refreshToken).toMatch(/^[0-9a-f]{64}$/);

    const wrong = "Unauthenticated: wrong email or password";
    expect(await refusal(auth.signInWithEmail({ email: "fay@example.com", password: "a long enough secreT" }))).toBe(wrong);
    expect(await refusal(auth.signInWithEmail({ email: "nobody@example.com", password: "a long enough secret" }))).toBe(wrong);
    await signIn("gus@example.com");
    expect(await refusal(auth.signInWithEmail({ email: "gus@example.com", password: "no password was ever set" }))).toBe(wrong);
  });

  test("failed attempts are limited per address, after which even the right password waits", async () => {
    const { token } = await signIn("hal@example.com");
    await customers.setPassword({ password: "the right password" }, bearer(token));
    for (let i = 0; i < 10; i++) expect(await refusal(auth.signInWithEmail({ email: "hal@example.com", password: `wrong guess ${i}` }))).toBe("Unauthenticated: wrong email or password");
    expect(await refusal(auth.signInWithEmail({ email: "hal@example.com", password: "the right password" }))).toMatch(
      /^ResourceExhausted: too many failed password sign-ins for this address; use a sign-in link, or wait; try again in \d+ minutes?$/,
    );
  });

  const WRONG = "Unauthenticated: wrong email or password";
  const BUSY = "ResourceExhausted: too many sign-ins at once; retry in a moment";
  const ADDRESS_FULL = /^ResourceExhausted: too many failed password sign-ins for this address; use a sign-in link, or wait; try again in \d+ minutes?$/;

  test("guesses sent at once for one address: no more than the limit are checked, in total", async () => {
    const { token } = await signIn("ian@example.com");
    await customers.setPassword({ password: "the right password" }, bearer(token));
    const guess = (i: number) => refusal(auth.signInWithEmail({ email: "ian@example.com", password: `wrong guess ${i}` }, fresh()));
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => guess(i)));
    const checked = burst.filter((answer) => answer === WRONG).length;
    expect(burst.filter((answer) => answer !== WRONG && answer !== BUSY && !ADDRESS_FULL.test(answer))).toEqual([]);
    expect(burst.filter((answer) => ADDRESS_FULL.test(answer)).length).toBeGreaterThanOrEqual(20);
    // Those refused as busy cost nothing: one by one, the rest of the ten are checked, and then no more.
    const later: string[] = [];
    for (let i = 30; later.at(-1)?.startsWith("ResourceExhausted") !== true; i++) later.push(await guess(i));
    expect(checked + later.filter((answer) => answer === WRONG).length).toBe(10);
    expect(later.at(-1)).toMatch(ADDRESS_FULL);
  });

  test("at most a few passwords are checked at once in a process; the rest are told to retry", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => refusal(auth.signInWithEmail({ email: `crowd${i}@example.com`, password: "a guess at it" }, fresh()))));
    expect(answers.filter((answer) => answer !== WRONG && answer !== BUSY)).toEqual([]);
    expect(answers.filter((answer) => answer === BUSY).length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer === WRONG).length).toBeGreaterThanOrEqual(4);
  });

  test("failed attempts are limited per client network across addresses; a right password gives its attempt back", async () => {
    const { token } = await signIn("jay@example.com");
    await customers.setPassword({ password: "the right password" }, bearer(token));
    const net = (i: number) => from(`2001:db8:7:7::${i.toString(16)}`);
    // Four at a time: as many as this server checks at once.
    for (let i = 1; i <= 49; i += 4) {
      const batch = Array.from({ length: Math.min(4, 50 - i) }, (_, j) => refusal(auth.signInWithEmail({ email: `spray${i + j}@example.com`, password: "a guess at it" }, net(i + j))));
      expect(await Promise.all(batch)).toEqual(batch.map(() => WRONG));
    }
    for (let i = 0; i < 3; i++) expect(await refusal(auth.signInWithEmail({ email: "jay@example.com", password: "the right password" }, net(100 + i)))).toBe("ok");
    expect(await refusal(auth.signInWithEmail({ email: "spray50@example.com", password: "a guess at it" }, net(50)))).toBe(WRONG);
    expect(await refusal(auth.signInWithEmail({ email: "jay@example.com", password: "the right password" }, from("2001:db8:7:7:ffff::1")))).toMatch(
      /^ResourceExhausted: too many failed password sign-ins from your network; try again in \d+ minutes?$/,
    );
    expect(await refusal(auth.signInWithEmail({ email: "jay@example.com", password: "the right password" }, from("2001:db8:7:8::1")))).toBe("ok");
  });
});

describe("sessions", () => {
  test("refresh rotates; a spent token presented again ends the whole family", async () => {
    const first = await signIn("ivy@example.com");
    const second = await auth.refreshSession({ refreshToken: first.refreshToken });
    expect(second.refreshToken).toMatch(/^[0-9a-f]{64}$/);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await customers.getMe({}, bearer(second.token))).email).toBe("ivy@example.com");
    const third = await auth.refreshSession({ refreshToken: second.refreshToken });

    expect(await refusal(auth.refreshSession({ refreshToken: first.refreshToken }))).toBe(
      "Unauthenticated: this refresh token was already used or signed out; the session has been ended for safety; sign in again",
    );
    expect(await refusal(auth.refreshSession({ refreshToken: third.refreshToken }))).toStartWith("Unauthenticated: this refresh token was already used or signed out");
    const families = await sql`SELECT count(DISTINCT family_id)::int AS families, count(*)::int AS tokens, count(revoked_at)::int AS revoked
      FROM refresh_tokens WHERE customer_id = ${await customerIdOf("ivy@example.com")}`;
    expect([...families]).toEqual([{ families: 1, tokens: 3, revoked: 3 }]);
  });

  test("setting a password ends the person's other sessions, not the one that set it", async () => {
    const mine = await signIn("kai@example.com");
    const other = await signIn("kai@example.com");
    const sid = (await verifyAccessToken(TEST_JWT_SECRET, mine.token)).sessionId;
    const [family] = await sql<{ family_id: string }[]>`SELECT family_id::text FROM refresh_tokens WHERE token_sha256 = ${secretTokenHash(mine.refreshToken)}`;
    expect(sid).toBe(family!.family_id);

    expect(await refusal(customers.setPassword({ password: "a long enough secret" }, bearer(mine.token)))).toBe("ok");
    expect(await refusal(auth.refreshSession({ refreshToken: other.refreshToken }))).toStartWith("Unauthenticated: this refresh token was already used or signed out");
    const next = await auth.refreshSession({ refreshToken: mine.refreshToken });
    expect((await verifyAccessToken(TEST_JWT_SECRET, next.token)).sessionId).toBe(sid);

  });

  const ENDED = "Unauthenticated: this session was ended (password changed); sign in again";
  const RECENT = "FailedPrecondition: changing a password needs a recent sign-in: sign in again, then change it within 10 minutes";
  /** Waits into the next second: tokens count their issue time in whole seconds. */
  const nextSecond = () => Bun.sleep(1000 - (Date.now() % 1000) + 20);

  test("a password change refuses access tokens issued before it, on every kind of call; the session that changed it refreshes and carries on", async () => {
    const mine = await signIn("lea@example.com");
    const other = await signIn("lea@example.com");
    const [where] = await sql<{ org_id: string; project_id: string }[]>`
      SELECT m.org_id::text, p.id::text AS project_id FROM org_members m JOIN projects p ON p.org_id = m.org_id WHERE m.customer_id = ${await customerIdOf("lea@example.com")}`;
    const calls = (token: string) =>
      Promise.all([
        refusal(customers.getMe({}, bearer(token))),
        refusal(projects.batchGet({ orgId: where!.org_id }, bearer(token))),
        refusal(projects.listApiKeys({}, { headers: { authorization: `Bearer ${token}`, "x-project-id": where!.project_id } })),
      ]);
    expect(await calls(other.token)).toEqual(["ok", "ok", "ok"]);
    await nextSecond();
    expect(await refusal(customers.setPassword({ password: "a long enough secret" }, bearer(mine.token)))).toBe("ok");

    // A stolen access token is dead at once, not in 24 hours; so is the changer's own until it refreshes.
    expect(await calls(other.token)).toEqual([ENDED, ENDED, ENDED]);
    expect(await calls(mine.token)).toEqual([ENDED, ENDED, ENDED]);
    const next = await auth.refreshSession({ refreshToken: mine.refreshToken });
    expect(await calls(next.token)).toEqual(["ok", "ok", "ok"]);
    expect(await refusal(auth.refreshSession({ refreshToken: other.refreshToken }))).toStartWith("Unauthenticated: this refresh token was already used or signed out");
    // A token signed since (a new sign-in) is not affected.
    expect(await calls((await signIn("lea@example.com")).token)).toEqual(["ok", "ok", "ok"]);
  });

  test("replacing a password needs a session signed in within 10 minutes; a first password does not", async () => {
    const old = await signIn("max@example.com");
    const sid = (await verifyAccessToken(TEST_JWT_SECRET, old.token)).sessionId;
    await sql`UPDATE refresh_tokens SET created_at = created_at - interval '11 minutes' WHERE family_id = ${sid!}`;
    expect(await refusal(customers.setPassword({ password: "the first password" }, bearer(old.token)))).toBe("ok");

    // The same (old) session, refreshed: its family still started 11 minutes ago.
    const refreshed = await auth.refreshSession({ refreshToken: old.refreshToken });
    expect(await refusal(customers.setPassword({ password: "an attacker's password" }, bearer(refreshed.token)))).toBe(RECENT);
    // A token that names no session cannot show when it signed in.
    const noSession = await signAccessToken(TEST_JWT_SECRET, await customerIdOf("max@example.com"));
    expect(await refusal(customers.setPassword({ password: "an attacker's password" }, bearer(noSession)))).toBe(RECENT);
    expect(await refusal(auth.signInWithEmail({ email: "max@example.com", password: "the first password" }, fresh()))).toBe("ok");

    const recent = await signIn("max@example.com");
    expect(await refusal(customers.setPassword({ password: "the second password" }, bearer(recent.token)))).toBe("ok");
    expect(await refusal(auth.signInWithEmail({ email: "max@example.com", password: "the second password" }, fresh()))).toBe("ok");
  });

  test("a server given PUG_JWT_SECRET_KEY_PREVIOUS accepts access tokens of that key as well as of the current one", async () => {
    await signIn("rotating@example.com");
    const customerId = await customerIdOf("rotating@example.com");
    const ofPrevious = await signAccessToken(PREVIOUS_SECRET, customerId);
    expect(await refusal(inviteOnlyCustomers.getMe({}, bearer(ofPrevious)))).toBe("ok");
    expect(await refusal(inviteOnlyCustomers.getMe({}, bearer(await signAccessToken(TEST_JWT_SECRET, customerId))))).toBe("ok");
    expect(await refusal(customers.getMe({}, bearer(ofPrevious)))).toBe("Unauthenticated: invalid dashboard token (JwtTokenSignatureMismatched)");
  });

  test("expired, unknown and malformed refresh tokens", async () => {
    const { refreshToken } = await signIn("jo@example.com");
    await sql`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_sha256 = ${secretTokenHash(refreshToken)}`;
    expect(await refusal(auth.refreshSession({ refreshToken }))).toBe("Unauthenticated: this session has expired; sign in again");
    expect(await refusal(auth.refreshSession({ refreshToken: generateSecretToken() }))).toBe("Unauthenticated: unknown refresh token; sign in again");
    expect(await refusal(auth.refreshSession({ refreshToken: "x" }))).toBe("InvalidArgument: refresh_token: must be the 64 hex digits the last sign-in or refresh returned");
  });

  test("sign-out revokes the family; unknown tokens are fine, malformed ones are not", async () => {
    const { refreshToken } = await signIn("kit@example.com");
    const next = await auth.refreshSession({ refreshToken });
    expect(await refusal(auth.signOut({ refreshToken: next.refreshToken }))).toBe("ok");
    expect(await refusal(auth.refreshSession({ refreshToken: next.refreshToken }))).toStartWith("Unauthenticated: this refresh token was already used or signed out");
    expect(await refusal(auth.signOut({ refreshToken: generateSecretToken() }))).toBe("ok");
    expect(await refusal(auth.signOut({ refreshToken: "nope" }))).toBe("InvalidArgument: refresh_token: must be the 64 hex digits the last sign-in or refresh returned");
  });

  test("a deleted account is signed out; other sign-in methods are off", async () => {
    expect(await refusal(customers.getMe({}, bearer(await signAccessToken(TEST_JWT_SECRET, crypto.randomUUID()))))).toBe("Unauthenticated: this account no longer exists; sign in again");
    expect((await auth.getAuthConfig({})).providers).toEqual([]);
    expect(await refusal(auth.completeOIDCSignIn({ providerId: "google", code: "c" }))).toBe("FailedPrecondition: no OIDC provider 'google' is configured on this server");
    expect(await refusal(auth.demoSignIn({}))).toBe("FailedPrecondition: demo sign-in is off on this server");
  });
});

describe("invitations", () => {
  async function invite(orgId: string, email: string, role: string, expiresIn = "7 days"): Promise<string> {
    const token = generateSecretToken();
    await sql`INSERT INTO invitations (org_id, email, role, token_sha256, expires_at) VALUES (${orgId}, ${email}, ${role}, ${secretTokenHash(token)}, now() + ${expiresIn}::interval)`;
    return token;
  }

  test("redeeming makes the person a member with the invited role, once; a member keeps a higher role", async () => {
    const [org] = await sql<{ id: string }[]>`INSERT INTO orgs (name) VALUES ('Acme') RETURNING id`;
    const orgId = org!.id;
    const token = await invite(orgId, "lee@example.com", "member");
    const session = await auth.completeMagicLink({ token, timezone: "UTC" });
    const lee = await customerIdOf("lee@example.com");
    expect((await customers.getMe({}, bearer(session.token))).customerId).toBe(lee);
    expect([...(await sql`SELECT org_id, role FROM org_members WHERE customer_id = ${lee}`)]).toEqual([{ org_id: orgId, role: "member" }]);
    expect(await sql`SELECT 1 FROM invitations WHERE token_sha256 = ${secretTokenHash(token)} AND accepted_at IS NOT NULL`).toHaveLength(1);
    expect(await refusal(auth.completeMagicLink({ token, timezone: "UTC" }))).toBe(USED);

    await sql`UPDATE org_members SET role = 'admin' WHERE customer_id = ${lee}`;
    await auth.completeMagicLink({ token: await invite(orgId, "lee@example.com", "viewer"), timezone: "UTC" });
    expect([...(await sql`SELECT role FROM org_members WHERE customer_id = ${lee}`)]).toEqual([{ role: "admin" }]);
    await sql`UPDATE org_members SET role = 'viewer' WHERE customer_id = ${lee}`;
    await auth.completeMagicLink({ token: await invite(orgId, "lee@example.com", "member"), timezone: "UTC" });
    expect([...(await sql`SELECT role FROM org_members WHERE customer_id = ${lee}`)]).toEqual([{ role: "member" }]);

    const expired = await invite(orgId, "max@example.com", "member", "-1 second");
    expect(await refusal(auth.completeMagicLink({ token: expired, timezone: "UTC" }))).toBe(USED);
  });
});

describe("pug login-link", () => {
  test("prints a link that signs in, creating account, org and project for a new address even under invite_only", async () => {
    const run = expectSuccess(await runPug(["login-link", "Op@Example.com", "--timezone", "Asia/Tokyo"], { ...stack.env, PUG_SIGNUP: "invite_only" }), "pug login-link");
    const line = (label: string) => new RegExp(`^${label}: +(.+)$`, "m").exec(run.stdout)?.[1];
    expect(line("account")).toBe("op@example.com (created now)");
    expect(line("org")).toBe("op's org (created now, you are its admin)");
    expect(line("project")).toBe("My project (created now, reporting time zone Asia/Tokyo)");
    expect(line("public key")).toMatch(/^pub_[0-9a-f]{32}$/);
    expect(line("private key")).toMatch(/^prv_[0-9a-f]{32} /);
    const link = line("sign-in link")!;
    expect(link).toStartWith(`${DASHBOARD}/magic-link?token=`);

    const session = await auth.completeMagicLink({ token: tokenOf(link), timezone: "UTC" });
    expect((await customers.getMe({}, bearer(session.token))).email).toBe("op@example.com");
    const [project] = await sql`SELECT p.id::text, p.reporting_timezone FROM projects p JOIN orgs o ON o.id = p.org_id WHERE o.id = ${line("org id")!}`;
    expect(project).toEqual({ id: line("project id")!, reporting_timezone: "Asia/Tokyo" });

    const again = expectSuccess(await runPug(["login-link", "op@example.com"], stack.env), "pug login-link (again)");
    expect(again.stdout).toContain("account:      op@example.com (existing)");
    expect(again.stdout).toContain(`public key:   ${line("public key")}`);
    expect(again.stdout).not.toContain("private key");
    expect(await refusal(auth.completeMagicLink({ token: tokenOf(/^sign-in link: (\S+)$/m.exec(again.stdout)![1]!), timezone: "UTC" }))).toBe("ok");

    const bad = await runPug(["login-link", "not-an-address"], stack.env);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("EMAIL: must be an address like name@example.com")]);
  });
});
