// OIDC sign-in against a running `pug server` and a real OIDC provider peer (test/support/oidc-provider.ts): the
// dashboard's half (authorize with PKCE and a nonce) is played by minting the code at the peer directly.

import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { verifyAccessToken } from "../../src/domain/auth/access-token.ts";
import { CustomersService } from "../../src/gen/dashboard/customers/v1/customers_pb.ts";
import { AuthProviderType, AuthService } from "../../src/gen/public/auth/v1/auth_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { refusal } from "../support/dashboard-people.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { type CodeGrant, type OidcPeer, startOidcProvider } from "../support/oidc-provider.ts";
import { freePort } from "../support/ports.ts";
import { startPug, waitForHttp } from "../support/pug-process.ts";
import { TEST_DASHBOARD_ORIGIN, TEST_JWT_SECRET } from "../support/scratch.ts";

const DASHBOARD = "http://localhost:5173";
const CALLBACK = `${DASHBOARD}/oauth/callback`;

let peer: OidcPeer;
let downPort: number;
let stack: IngestStack;
let sql: Sql;
let auth: Client<typeof AuthService>;
let customers: Client<typeof CustomersService>;

beforeAll(async () => {
  peer = await startOidcProvider();
  downPort = freePort();
  const providers = [
    { id: "keycloak", display_name: "Company SSO", issuer_url: peer.issuer, client_id: peer.clientId, client_secret: peer.clientSecret },
    // Another id for the same issuer: bindings are the issuer's, whichever id a sign-in came through.
    { id: "trusting", display_name: "Trusting", issuer_url: peer.issuer, client_id: peer.clientId, client_secret: peer.clientSecret, trust_email: true },
    { id: "down", display_name: "Gone", issuer_url: `http://127.0.0.1:${downPort}/realms/x`, client_id: "pug", scopes: ["openid", "email"] },
  ];
  stack = await ingestStack("oidc", { env: { PUG_SIGNUP: "open", PUG_TRUSTED_PROXIES: "127.0.0.1", PUG_DASHBOARD_URL: DASHBOARD, PUG_OIDC_PROVIDERS: JSON.stringify(providers) } });
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  const transport = createConnectTransport({ baseUrl: stack.baseUrl, useBinaryFormat: false });
  auth = createClient(AuthService, transport);
  customers = createClient(CustomersService, transport);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
  await peer?.stop();
});

const verifier = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** A whole sign-in as the dashboard does it; `grant` changes what the provider puts in its id_token. */
let lastIp = 0;
/** A sign-in from a network of its own (the server trusts 127.0.0.1 as a proxy), so per-network limits stay out of the way. */
const freshNetwork = () => ({ headers: { "x-forwarded-for": `198.51.100.${++lastIp}` } });

function signIn(grant: Partial<CodeGrant> & { sub: string; email: string }, request: { providerId?: string; redirectUri?: string; codeVerifier?: string } = {}, client = auth, options = freshNetwork()) {
  const codeVerifier = verifier();
  const nonce = crypto.randomUUID();
  const code = peer.issueCode({ nonce, redirectUri: CALLBACK, codeVerifier, ...grant });
  return client.completeOIDCSignIn({ providerId: "keycloak", code, codeVerifier, redirectUri: CALLBACK, nonce, timezone: "Europe/Berlin", ...request }, options);
}

async function customerOf(sub: string): Promise<{ customer_id: string; email: string } | undefined> {
  const [row] = await sql<{ customer_id: string; email: string }[]>`
    SELECT i.customer_id, c.email FROM oidc_identities i JOIN customers c ON c.id = i.customer_id WHERE i.issuer = ${peer.issuer} AND i.subject = ${sub}`;
  return row;
}

test("GetAuthConfig lists the configured providers, never their secrets", async () => {
  const config = await auth.getAuthConfig({});
  expect(config.providers.map(({ id, type, displayName, clientId, issuerUrl, scopes }) => ({ id, type, displayName, clientId, issuerUrl, scopes }))).toEqual([
    { id: "keycloak", type: AuthProviderType.OIDC, displayName: "Company SSO", clientId: peer.clientId, issuerUrl: peer.issuer, scopes: ["openid", "email", "profile"] },
    { id: "trusting", type: AuthProviderType.OIDC, displayName: "Trusting", clientId: peer.clientId, issuerUrl: peer.issuer, scopes: ["openid", "email", "profile"] },
    { id: "down", type: AuthProviderType.OIDC, displayName: "Gone", clientId: "pug", issuerUrl: `http://127.0.0.1:${downPort}/realms/x`, scopes: ["openid", "email"] },
  ]);
  const raw = await (await fetch(`${stack.baseUrl}/public.auth.v1.AuthService/GetAuthConfig`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).text();
  expect(raw).not.toContain(peer.clientSecret);
});

describe("sign-in", () => {
  test("a new person signs up through the provider; a second sign-in with a changed address is the same account", async () => {
    const first = await signIn({ sub: "kc-user-1", email: "Grace@Example.com" });
    const bound = await customerOf("kc-user-1");
    expect(bound?.email).toBe("grace@example.com");
    expect((await verifyAccessToken(TEST_JWT_SECRET, first.token)).customerId).toBe(bound!.customer_id);
    expect(first.refreshToken).toMatch(/^[0-9a-f]{64}$/);
    const me = await customers.getMe({}, bearer(first.token));
    expect({ customerId: me.customerId, email: me.email, emailVerified: me.emailVerified }).toEqual({ customerId: bound!.customer_id, email: "grace@example.com", emailVerified: true });
    const made = await sql`
      SELECT o.name AS org, m.role, p.name AS project, p.reporting_timezone FROM org_members m JOIN orgs o ON o.id = m.org_id JOIN projects p ON p.org_id = o.id
      WHERE m.customer_id = ${bound!.customer_id}`;
    expect([...made]).toEqual([{ org: "grace's org", role: "admin", project: "My project", reporting_timezone: "Europe/Berlin" }]);
    // The confidential client authenticated with client_secret_basic and sent every PKCE parameter.
    expect(peer.tokenRequests.at(-1)).toMatchObject({ auth: "client_secret_basic", body: { grant_type: "authorization_code", client_id: peer.clientId, redirect_uri: CALLBACK } });

    const again = await signIn({ sub: "kc-user-1", email: "grace.hopper@navy.example" });
    expect((await verifyAccessToken(TEST_JWT_SECRET, again.token)).customerId).toBe(bound!.customer_id);
    expect((await sql`SELECT count(*)::int AS n FROM customers WHERE email LIKE 'grace%'`)[0]!.n).toBe(1);
    expect((await sql`SELECT count(*)::int AS n FROM org_members WHERE customer_id = ${bound!.customer_id}`)[0]!.n).toBe(1);
  });

  test("the first sign-in of a subject finds the account of the address it vouches for", async () => {
    const [existing] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES ('linus@example.com') RETURNING id`;
    const session = await signIn({ sub: "kc-user-2", email: "linus@example.com" });
    expect((await verifyAccessToken(TEST_JWT_SECRET, session.token)).customerId).toBe(existing!.id);
    expect((await customerOf("kc-user-2"))?.customer_id).toBe(existing!.id);
    const [row] = await sql`SELECT email_verified, last_sign_in_at IS NOT NULL AS signed_in FROM customers WHERE id = ${existing!.id}`;
    expect(row).toEqual({ email_verified: true, signed_in: true });
  });
});

describe("an address the provider does not vouch for", () => {
  const unvouched = (verified: unknown) => ({ emailVerified: undefined, claims: { email_verified: verified } });
  const refused = (email: string) =>
    `PermissionDenied: identity provider 'keycloak' does not vouch for the address ${email} (its id_token's email_verified is not true), so it cannot sign up or be linked to an account; ` +
    "an operator whose provider only hands out addresses it owns can set trust_email on it";

  test.each([["absent", undefined], ["false", false], ["the string 'true'", "true"]])(
    "email_verified %s: neither takes over the account of that address nor creates one",
    async (name, verified) => {
      const [victim] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES (${`victim-${lastIp}@example.com`}) RETURNING id`;
      const [victimRow] = await sql<{ email: string }[]>`SELECT email FROM customers WHERE id = ${victim!.id}`;
      expect(await refusal(signIn({ sub: `kc-attacker-${name}`, email: victimRow!.email, ...unvouched(verified) }))).toBe(refused(victimRow!.email));
      expect(await customerOf(`kc-attacker-${name}`)).toBeUndefined();
      const newcomer = `newcomer-${lastIp}@example.com`;
      expect(await refusal(signIn({ sub: `kc-newcomer-${name}`, email: newcomer, ...unvouched(verified) }))).toBe(refused(newcomer));
      expect((await sql`SELECT count(*)::int AS n FROM customers WHERE email = ${newcomer}`)[0]!.n).toBe(0);
    },
  );

  test("a subject already bound still signs in, without its account's address counting as proven", async () => {
    const [bound] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES ('bound@example.com') RETURNING id`;
    await sql`INSERT INTO oidc_identities (issuer, subject, customer_id, provider_id) VALUES (${peer.issuer}, 'kc-bound', ${bound!.id}, 'keycloak')`;
    const session = await signIn({ sub: "kc-bound", email: "bound@example.com", ...unvouched(undefined) });
    expect((await verifyAccessToken(TEST_JWT_SECRET, session.token)).customerId).toBe(bound!.id);
    // The provider now vouches for another address than the account's: still not proof of the account's own.
    await signIn({ sub: "kc-bound", email: "someone.else@example.com" });
    expect((await sql`SELECT email_verified, last_sign_in_at IS NOT NULL AS signed_in FROM customers WHERE id = ${bound!.id}`)[0]).toEqual({ email_verified: false, signed_in: true });
    // Vouched for, and the account's: proven.
    await signIn({ sub: "kc-bound", email: "Bound@Example.com" });
    expect((await sql`SELECT email_verified FROM customers WHERE id = ${bound!.id}`)[0]).toEqual({ email_verified: true });
  });

  test("a provider configured with trust_email: its address is taken as vouched for", async () => {
    const session = await signIn({ sub: "kc-trusted", email: "trusted@example.com", ...unvouched(undefined) }, { providerId: "trusting" });
    const bound = await customerOf("kc-trusted");
    expect(bound?.email).toBe("trusted@example.com");
    expect((await verifyAccessToken(TEST_JWT_SECRET, session.token)).customerId).toBe(bound!.customer_id);
    expect((await sql`SELECT email_verified, provider_id FROM customers c JOIN oidc_identities i ON i.customer_id = c.id WHERE c.id = ${bound!.customer_id}`)[0]).toEqual({
      email_verified: true,
      provider_id: "trusting",
    });
  });
});

test("bindings are the issuer's: a subject bound at another issuer (an id moved to a new IdP) is not this one's", async () => {
  const [old] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES ('old-idp-user@example.com') RETURNING id`;
  await sql`INSERT INTO oidc_identities (issuer, subject, customer_id, provider_id) VALUES ('https://old-idp.example.com/realms/main', 'kc-moved', ${old!.id}, 'keycloak')`;
  const session = await signIn({ sub: "kc-moved", email: "new-idp-user@example.com" });
  const bound = await customerOf("kc-moved");
  expect(bound?.email).toBe("new-idp-user@example.com");
  expect((await verifyAccessToken(TEST_JWT_SECRET, session.token)).customerId).toBe(bound!.customer_id);
  expect(bound!.customer_id).not.toBe(old!.id);
});

describe("limits on exchanges", () => {
  test("per client network: past 30 in a window, refused before the provider is asked", async () => {
    const network = { headers: { "x-forwarded-for": "203.0.113.9" } };
    for (let i = 0; i < 30; i++) {
      expect(await refusal(signIn({ sub: "kc-flood", email: "flood@example.com" }, { codeVerifier: verifier() }, auth, network))).toStartWith("Unauthenticated: ");
    }
    const asked = peer.tokenRequests.length;
    expect(await refusal(signIn({ sub: "kc-flood", email: "flood@example.com" }, {}, auth, network))).toMatch(
      /^ResourceExhausted: too many sign-ins through an identity provider from your network; try again in \d+ minutes?$/,
    );
    expect(peer.tokenRequests.length).toBe(asked);
    // Another network is not held back.
    expect(await refusal(signIn({ sub: "kc-flood", email: "flood@example.com" }))).toBe("ok");
  });

  test("at most 4 exchanges at once in a server; the fifth is refused at once", async () => {
    let release!: () => void;
    peer.holdTokenEndpoint = new Promise((resolve) => (release = resolve));
    const asked = peer.tokenRequests.length;
    try {
      const held = [1, 2, 3, 4].map((n) => refusal(signIn({ sub: `kc-held-${n}`, email: `held-${n}@example.com` })));
      while (peer.tokenRequests.length < asked + 4) await Bun.sleep(10);
      expect(await refusal(signIn({ sub: "kc-held-5", email: "held-5@example.com" }))).toBe("ResourceExhausted: too many sign-ins through an identity provider at once; retry in a moment");
      expect(peer.tokenRequests.length).toBe(asked + 4);
      release();
      expect(await Promise.all(held)).toEqual(["ok", "ok", "ok", "ok"]);
    } finally {
      peer.holdTokenEndpoint = undefined;
      release();
    }
  });
});

describe("refusals", () => {
  const person = { sub: "kc-refused", email: "mallory@example.com" };
  const TOKEN = "Unauthenticated: ";

  test.each([
    ["a wrong nonce", { claims: { nonce: "not-this-sign-in" } }, `${TOKEN}the id_token's nonce does not match this sign-in`],
    ["another audience", { claims: { aud: "another-client" } }, `${TOKEN}the id_token is meant for "another-client", not for client 'pug-dashboard'`],
    ["an expired id_token", { claims: { iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 600 } }, `${TOKEN}the id_token has expired`],
    ["a token signed by another key", { signWithStrangerKey: true }, `${TOKEN}the id_token's signature does not verify against the provider's published keys`],
  ])("%s is refused and signs nobody in", async (name, grant, why) => {
    const who = { sub: `kc-${name.replaceAll(" ", "-")}`, email: "mallory@example.com" };
    expect(await refusal(signIn({ ...who, ...grant }))).toBe(why);
    expect(await customerOf(who.sub)).toBeUndefined();
    expect((await sql`SELECT count(*)::int AS n FROM customers WHERE email = ${who.email}`)[0]!.n).toBe(0);
  });

  test("sign-up by invitation only: a new address is refused like a mailed link; a known one gets in", async () => {
    const port = freePort();
    const inviteOnly = startPug(["server"], { ...stack.env, PUG_SIGNUP: "invite_only", PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: "off" });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`);
      const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, useBinaryFormat: false }));
      expect(await refusal(signIn({ sub: "kc-stranger", email: "stranger@example.com" }, {}, client))).toBe(
        "PermissionDenied: sign-up on this server is by invitation only: ask an admin of your team to invite you",
      );
      expect(await customerOf("kc-stranger")).toBeUndefined();
      await sql`INSERT INTO customers (email) VALUES ('invited@example.com')`;
      expect(await refusal(signIn({ sub: "kc-invited", email: "invited@example.com" }, {}, client))).toBe("ok");
      expect((await customerOf("kc-invited"))?.email).toBe("invited@example.com");
    } finally {
      await inviteOnly.stop();
    }
  });

  test("a wrong PKCE verifier: the provider answers invalid_grant", async () => {
    expect(await refusal(signIn(person, { codeVerifier: verifier() }))).toBe("Unauthenticated: identity provider 'keycloak' refused the sign-in: invalid_grant (PKCE verification failed)");
  });

  test("a code is single use at the provider", async () => {
    const codeVerifier = verifier();
    const nonce = crypto.randomUUID();
    const code = peer.issueCode({ sub: "kc-once", email: "once@example.com", nonce, redirectUri: CALLBACK, codeVerifier });
    const request = { providerId: "keycloak", code, codeVerifier, redirectUri: CALLBACK, nonce, timezone: "UTC" };
    expect(await refusal(auth.completeOIDCSignIn(request))).toBe("ok");
    expect(await refusal(auth.completeOIDCSignIn(request))).toBe("Unauthenticated: identity provider 'keycloak' refused the sign-in: invalid_grant (unknown or used code)");
  });

  test("an unknown provider", async () => {
    expect(await refusal(signIn(person, { providerId: "okta" }))).toBe("NotFound: no OIDC provider 'okta' is configured on this server");
  });

  test("a redirect_uri on another origin, before the provider is asked", async () => {
    const asked = peer.tokenRequests.length;
    expect(await refusal(signIn(person, { redirectUri: "https://evil.example.com/oauth/callback" }))).toBe(
      `InvalidArgument: redirect_uri: must be the dashboard's /oauth/callback: ${CALLBACK} or ${TEST_DASHBOARD_ORIGIN}/oauth/callback`,
    );
    expect(peer.tokenRequests.length).toBe(asked);
  });

  test("a bad code_verifier shape is refused before the provider is asked", async () => {
    expect(await refusal(signIn(person, { codeVerifier: "short" }))).toBe("InvalidArgument: code_verifier: must be the PKCE verifier of this sign-in: 43 to 128 of A-Z a-z 0-9 - . _ ~");
  });

  test("a provider that cannot be reached, or fails, is unavailable", async () => {
    const down = await refusal(signIn(person, { providerId: "down" }));
    expect(down).toStartWith(`Unavailable: cannot reach identity provider 'down' at http://127.0.0.1:${downPort}: `);
    expect(down).toEndWith("; retry in a moment");
    peer.failTokenEndpointWith = 503;
    try {
      expect(await refusal(signIn(person))).toBe("Unavailable: identity provider 'keycloak' answered 503 at its token endpoint; retry in a moment");
    } finally {
      peer.failTokenEndpointWith = undefined;
    }
  });
});
