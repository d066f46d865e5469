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
    { id: "down", display_name: "Gone", issuer_url: `http://127.0.0.1:${downPort}/realms/x`, client_id: "pug", scopes: ["openid", "email"] },
  ];
  stack = await ingestStack("oidc", { env: { PUG_SIGNUP: "open", PUG_DASHBOARD_URL: DASHBOARD, PUG_OIDC_PROVIDERS: JSON.stringify(providers) } });
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
function signIn(grant: Partial<CodeGrant> & { sub: string; email: string }, request: { providerId?: string; redirectUri?: string; codeVerifier?: string } = {}, client = auth) {
  const codeVerifier = verifier();
  const nonce = crypto.randomUUID();
  const code = peer.issueCode({ nonce, redirectUri: CALLBACK, codeVerifier, ...grant });
  return client.completeOIDCSignIn({ providerId: "keycloak", code, codeVerifier, redirectUri: CALLBACK, nonce, timezone: "Europe/Berlin", ...request });
}

async function customerOf(sub: string): Promise<{ customer_id: string; email: string } | undefined> {
  const [row] = await sql<{ customer_id: string; email: string }[]>`
    SELECT i.customer_id, c.email FROM oidc_identities i JOIN customers c ON c.id = i.customer_id WHERE i.provider_id = 'keycloak' AND i.subject = ${sub}`;
  return row;
}

test("GetAuthConfig lists the configured providers, never their secrets", async () => {
  const config = await auth.getAuthConfig({});
  expect(config.providers.map(({ id, type, displayName, clientId, issuerUrl, scopes }) => ({ id, type, displayName, clientId, issuerUrl, scopes }))).toEqual([
    { id: "keycloak", type: AuthProviderType.OIDC, displayName: "Company SSO", clientId: peer.clientId, issuerUrl: peer.issuer, scopes: ["openid", "email", "profile"] },
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
    const session = await signIn({ sub: "kc-user-2", email: "linus@example.com", emailVerified: undefined, claims: { email_verified: undefined } });
    expect((await verifyAccessToken(TEST_JWT_SECRET, session.token)).customerId).toBe(existing!.id);
    expect((await customerOf("kc-user-2"))?.customer_id).toBe(existing!.id);
    const [row] = await sql`SELECT email_verified, last_sign_in_at IS NOT NULL AS signed_in FROM customers WHERE id = ${existing!.id}`;
    expect(row).toEqual({ email_verified: true, signed_in: true });
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
    ["an address the provider has not verified", { emailVerified: false }, "PermissionDenied: the identity provider has not verified the address mallory@example.com"],
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
