// HTTP to OIDC identity providers: their discovery document and signing keys (cached per provider for an hour),
// and the code exchange at their token endpoint (authorization_code with PKCE). Every request has a deadline.
// What the provider answers is classified, not interpreted: the caller decides what a refusal means.

import type { PublishedKey } from "../domain/auth/oidc-id-token.ts";
import type { OidcProvider } from "../domain/auth/oidc-providers.ts";

/**
 * refused: the provider said no to this exchange (a 4xx, e.g. invalid_grant); `error` is its OAuth error code.
 * unreachable: no answer, a timeout or a 5xx: worth retrying. misconfigured: the provider is not what the
 * configuration says it is (another issuer, no token endpoint).
 */
export class OidcProviderError extends Error {
  constructor(
    readonly kind: "refused" | "unreachable" | "misconfigured",
    message: string,
    readonly error?: string,
  ) {
    super(message);
    this.name = "OidcProviderError";
  }
}

export interface CodeExchange {
  code: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface OidcClient {
  /** The id_token the provider issues for an authorization code. */
  exchangeCode(provider: OidcProvider, exchange: CodeExchange): Promise<string>;
  /** The provider's published keys; `refresh` fetches them anew (a key id not seen yet: the provider rotated). */
  signingKeys(provider: OidcProvider, refresh?: boolean): Promise<PublishedKey[]>;
  /** The PKCE methods the discovery document lists (code_challenge_methods_supported); empty when it lists none. */
  codeChallengeMethods(provider: OidcProvider): Promise<string[]>;
}

interface Discovery {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: unknown;
}

interface Cached {
  at: number;
  discovery: Promise<Discovery>;
  keys?: Promise<PublishedKey[]>;
}

export interface OidcClientOptions {
  timeoutMs?: number;
  /** How long a discovery document (and the keys fetched with it) is used before it is fetched again. */
  cacheMs?: number;
  now?: () => number;
}

export function createOidcClient(options: OidcClientOptions = {}): OidcClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const cacheMs = options.cacheMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Cached>();

  /** The provider's cache entry; a failed fetch is forgotten, so the next sign-in tries again. */
  function entry(provider: OidcProvider): Cached {
    const cached = cache.get(provider.id);
    if (cached && now() - cached.at < cacheMs) return cached;
    const fresh: Cached = { at: now(), discovery: discover(provider, timeoutMs) };
    fresh.discovery.catch(() => cache.get(provider.id) === fresh && cache.delete(provider.id));
    cache.set(provider.id, fresh);
    return fresh;
  }

  return {
    async exchangeCode(provider, exchange) {
      const discovery = await entry(provider).discovery;
      return await tokenRequest(provider, discovery, exchange, timeoutMs);
    },

    async signingKeys(provider, refresh = false) {
      const cached = entry(provider);
      if (!cached.keys || refresh) {
        const keys = cached.discovery.then((discovery) => fetchKeys(provider, discovery.jwks_uri, timeoutMs));
        keys.catch(() => cached.keys === keys && (cached.keys = undefined));
        cached.keys = keys;
      }
      return await cached.keys;
    },

    async codeChallengeMethods(provider) {
      const listed = (await entry(provider).discovery).code_challenge_methods_supported;
      return Array.isArray(listed) ? listed.filter((method): method is string => typeof method === "string") : [];
    },
  };
}

async function discover(provider: OidcProvider, timeoutMs: number): Promise<Discovery> {
  const url = `${provider.issuerUrl.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const body = await getJson(provider, url, "discovery document", timeoutMs);
  const doc = body as Partial<Discovery>;
  if (doc.issuer !== provider.issuerUrl) {
    throw new OidcProviderError("misconfigured", `the discovery document of identity provider '${provider.id}' names issuer '${String(doc.issuer)}', not '${provider.issuerUrl}' as configured in PUG_OIDC_PROVIDERS`);
  }
  for (const field of ["token_endpoint", "jwks_uri"] as const) {
    if (typeof doc[field] !== "string") throw new OidcProviderError("misconfigured", `the discovery document of identity provider '${provider.id}' has no ${field}`);
  }
  return doc as Discovery;
}

async function fetchKeys(provider: OidcProvider, jwksUri: string, timeoutMs: number): Promise<PublishedKey[]> {
  const body = (await getJson(provider, jwksUri, "signing keys", timeoutMs)) as { keys?: unknown };
  if (!Array.isArray(body.keys)) throw new OidcProviderError("misconfigured", `the signing keys of identity provider '${provider.id}' (${jwksUri}) are not a JWKS: no keys array`);
  return body.keys as PublishedKey[];
}

async function getJson(provider: OidcProvider, url: string, what: string, timeoutMs: number): Promise<unknown> {
  const response = await send(provider, url, { headers: { accept: "application/json" } }, timeoutMs);
  if (!response.ok) throw new OidcProviderError("unreachable", `identity provider '${provider.id}' answered ${response.status} for its ${what} (${url})`);
  if (typeof response.json !== "object" || response.json === null) throw new OidcProviderError("unreachable", `identity provider '${provider.id}' sent a ${what} that is not a JSON object (${url})`);
  return response.json;
}

async function tokenRequest(provider: OidcProvider, discovery: Discovery, exchange: CodeExchange, timeoutMs: number): Promise<string> {
  const form = new URLSearchParams({ grant_type: "authorization_code", code: exchange.code, redirect_uri: exchange.redirectUri, code_verifier: exchange.codeVerifier, client_id: provider.clientId });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (provider.clientSecret !== undefined) {
    // client_secret_basic is the default of OIDC Discovery when the provider does not list its methods.
    const methods = discovery.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
    if (methods.includes("client_secret_basic") || !methods.includes("client_secret_post")) {
      // RFC 6749 2.3.1: both parts form-encoded before base64.
      headers.authorization = `Basic ${btoa(`${formEncode(provider.clientId)}:${formEncode(provider.clientSecret)}`)}`;
    } else {
      form.set("client_secret", provider.clientSecret);
    }
  }
  const response = await send(provider, discovery.token_endpoint, { method: "POST", headers, body: form }, timeoutMs);
  const body = (typeof response.json === "object" && response.json !== null ? response.json : undefined) as { error?: unknown; error_description?: unknown; id_token?: unknown } | undefined;
  if (response.status >= 500) throw new OidcProviderError("unreachable", `identity provider '${provider.id}' answered ${response.status} at its token endpoint`);
  if (!response.ok) {
    const error = typeof body?.error === "string" ? body.error : `http_${response.status}`;
    const description = typeof body?.error_description === "string" ? ` (${body.error_description.slice(0, 200)})` : "";
    throw new OidcProviderError("refused", `identity provider '${provider.id}' refused the sign-in: ${error}${description}`, error);
  }
  if (typeof body?.id_token !== "string") {
    throw new OidcProviderError("refused", `identity provider '${provider.id}' returned no id_token: is 'openid' among its client's scopes?`, "no_id_token");
  }
  return body.id_token;
}

/** A provider's reply, its body read (and parsed if JSON) within the same deadline as the request. */
interface Reply {
  status: number;
  ok: boolean;
  /** Undefined for a body that is not JSON (an HTML error page). */
  json: unknown;
}

async function send(provider: OidcProvider, url: string, init: RequestInit, timeoutMs: number): Promise<Reply> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, ok: response.ok, json: jsonOrUndefined(await response.text()) };
  } catch (error) {
    const why = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : error instanceof Error ? error.message : String(error);
    throw new OidcProviderError("unreachable", `cannot reach identity provider '${provider.id}' at ${new URL(url).origin}: ${why}`);
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

/** The JSON in a reply body; undefined for one that is not JSON. Only a parse error means that. */
function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
