// Signing in by mailed link against a running `pug server`: links read from the email stream (as the email worker
// would read them), their limits and races, invitations redeemed through the same call, and `pug login-link`.

import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { verifyAccessToken } from "../../src/domain/auth/access-token.ts";
import { generateSecretToken, secretTokenHash } from "../../src/domain/auth/secret-token.ts";
import type { EmailJob } from "../../src/domain/email/email-job.ts";
import type { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import type { AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { refusal } from "../support/dashboard-people.ts";
import type { IngestStack } from "../support/ingest-stack.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { TEST_JWT_SECRET } from "../support/scratch.ts";
import { DASHBOARD, signInHelpers, startSignInStack, USED } from "../support/sign-in-stack.ts";

let stack: IngestStack;
let sql: Sql;
let auth: Client<typeof AuthService>;
let customers: Client<typeof CustomersService>;
let inviteOnlyAuth: Client<typeof AuthService>;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ stack, sql, auth, customers, inviteOnlyAuth, stop } = await startSignInStack("sign_in_links"));
});
afterAll(async () => {
  await stop?.();
});

const { fresh, from, bearer, mailsTo, tokenOf, requestToken, customerIdOf } = signInHelpers(() => ({ stack, sql, auth }));

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
