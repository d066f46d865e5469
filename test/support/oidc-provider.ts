// A real OIDC provider peer for tests: discovery, a JWKS with an RSA key made at start, and a token endpoint that
// checks what a strict provider checks (client authentication, the code, its redirect_uri, the PKCE S256
// verifier) before returning an RS256 id_token. No /authorize: the test mints the code a sign-in would produce.

import { sign } from "hono/utils/jwt/jwt";
import type { PublishedKey } from "../../src/domain/auth/oidc-id-token.ts";

export interface CodeGrant {
  sub: string;
  email: string;
  nonce: string;
  redirectUri: string;
  codeVerifier: string;
  emailVerified?: boolean;
  /** Claims that replace or add to the id_token's (e.g. aud, exp). */
  claims?: Record<string, unknown>;
  /** Sign the id_token with a key the provider does not publish (same kid). */
  signWithStrangerKey?: boolean;
}

export interface TokenRequestSeen {
  auth: "client_secret_basic" | "client_secret_post" | "none";
  body: Record<string, string>;
}

export interface OidcPeer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The code the provider would redirect back with once the person signed in. */
  issueCode(grant: CodeGrant): string;
  /** Every token request, in order. */
  tokenRequests: TokenRequestSeen[];
  /** Status the token endpoint answers with instead of working (e.g. 503), or undefined for normal service. */
  failTokenEndpointWith: number | undefined;
  /** While set, the token endpoint waits for it before answering (to hold exchanges under way). */
  holdTokenEndpoint: Promise<void> | undefined;
  /** What discovery lists in code_challenge_methods_supported (undefined: the field is left out). */
  codeChallengeMethods: string[] | undefined;
  stop(): Promise<void>;
}

async function rsaKey(kid: string) {
  const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { kty, n, e } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    publicJwk: { kty, n, e, kid, alg: "RS256", use: "sig" } as PublishedKey,
    privateJwk: { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid, alg: "RS256" } as PublishedKey,
  };
}

async function s256(verifier: string): Promise<string> {
  return Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))).toString("base64url");
}

export async function startOidcProvider(clientId = "pug-dashboard", clientSecret = "peer-client-secret-1"): Promise<OidcPeer> {
  const key = await rsaKey("peer-key-1");
  const stranger = await rsaKey("peer-key-1");
  const codes = new Map<string, CodeGrant & { challenge: Promise<string> }>();
  const oauthError = (status: number, error: string, description: string) => Response.json({ error, error_description: description }, { status });

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      // Keycloak-like: everything under the realm's path.
      const path = new URL(request.url).pathname.replace(/^\/realms\/test/, "");
      if (path === "/.well-known/openid-configuration") {
        return Response.json({
          issuer: peer.issuer,
          authorization_endpoint: `${peer.issuer}/authorize`,
          token_endpoint: `${peer.issuer}/token`,
          jwks_uri: `${peer.issuer}/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          code_challenge_methods_supported: peer.codeChallengeMethods,
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        });
      }
      if (path === "/jwks") return Response.json({ keys: [key.publicJwk] });
      if (path !== "/token" || request.method !== "POST") return new Response("not found", { status: 404 });

      const body = Object.fromEntries(new URLSearchParams(await request.text()));
      const basic = request.headers.get("authorization");
      peer.tokenRequests.push({ auth: basic ? "client_secret_basic" : body.client_secret ? "client_secret_post" : "none", body });
      await peer.holdTokenEndpoint;
      if (peer.failTokenEndpointWith) return new Response("maintenance", { status: peer.failTokenEndpointWith });
      const [id, secret] = basic?.startsWith("Basic ") ? atob(basic.slice(6)).split(":").map(decodeURIComponent) : [body.client_id, body.client_secret];
      if (id !== clientId || secret !== clientSecret) return oauthError(401, "invalid_client", "client authentication failed");
      if (body.grant_type !== "authorization_code") return oauthError(400, "unsupported_grant_type", "only authorization_code");
      const grant = codes.get(body.code ?? "");
      codes.delete(body.code ?? "");
      if (!grant) return oauthError(400, "invalid_grant", "unknown or used code");
      if (body.redirect_uri !== grant.redirectUri) return oauthError(400, "invalid_grant", "redirect_uri does not match");
      if ((await s256(body.code_verifier ?? "")) !== (await grant.challenge)) return oauthError(400, "invalid_grant", "PKCE verification failed");

      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: peer.issuer, aud: clientId, sub: grant.sub, email: grant.email, email_verified: grant.emailVerified ?? true, nonce: grant.nonce, iat: now, exp: now + 300, ...grant.claims };
      const idToken = await sign(claims, grant.signWithStrangerKey ? stranger.privateJwk : key.privateJwk);
      return Response.json({ access_token: crypto.randomUUID(), token_type: "Bearer", expires_in: 300, id_token: idToken });
    },
  });

  const peer: OidcPeer = {
    issuer: `http://127.0.0.1:${server.port}/realms/test`,
    clientId,
    clientSecret,
    tokenRequests: [],
    failTokenEndpointWith: undefined,
    codeChallengeMethods: ["S256"],
    holdTokenEndpoint: undefined,
    issueCode(grant) {
      const code = crypto.randomUUID();
      codes.set(code, { ...grant, challenge: s256(grant.codeVerifier) });
      return code;
    },
    async stop() {
      await server.stop(true);
    },
  };
  return peer;
}
