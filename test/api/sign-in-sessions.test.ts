// Passwords and sessions against a running `pug server`: argon2id sign-in and its limits, rotating refresh tokens
// and reuse detection, password changes ending other sessions, sign-out, and a key rotation's previous secret.

import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signAccessToken, verifyAccessToken } from "../../src/domain/auth/access-token.ts";
import { generateSecretToken, secretTokenHash } from "../../src/domain/auth/secret-token.ts";
import type { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import type { ProjectsService } from "../../src/gen/dashboard/projects/v1/projects_pb.ts";
import type { AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import type { Sql } from "../../src/infra/postgres.ts";
import { refusal } from "../support/dashboard-people.ts";
import type { IngestStack } from "../support/ingest-stack.ts";
import { TEST_JWT_SECRET } from "../support/scratch.ts";
import { PREVIOUS_SECRET, signInHelpers, startSignInStack } from "../support/sign-in-stack.ts";

let stack: IngestStack;
let sql: Sql;
let auth: Client<typeof AuthService>;
let customers: Client<typeof CustomersService>;
let projects: Client<typeof ProjectsService>;
let inviteOnlyCustomers: Client<typeof CustomersService>;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ stack, sql, auth, customers, projects, inviteOnlyCustomers, stop } = await startSignInStack("sign_in_sessions"));
});
afterAll(async () => {
  await stop?.();
});

const { fresh, from, bearer, signIn, customerIdOf } = signInHelpers(() => ({ stack, sql, auth }));

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
