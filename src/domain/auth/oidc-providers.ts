// The OIDC identity providers an operator configures (PUG_OIDC_PROVIDERS, a JSON array): the shape, checked
// field by field, and what of it the dashboard may see. The client secret never leaves the server.

import * as v from "valibot";

export interface OidcProvider {
  /** Url-safe: the dashboard sends it back in CompleteOIDCSignIn. Identities are bound per issuer, not per id. */
  id: string;
  displayName: string;
  /** Exactly as the provider spells it: must equal the `issuer` of its discovery document and of every id_token. */
  issuerUrl: string;
  clientId: string;
  /** Undefined for a public client (PKCE only). */
  clientSecret: string | undefined;
  scopes: string[];
  /** Take the provider's address as proven even without email_verified: true (for providers that send none but
   * hand out only addresses they own). Off by default: otherwise a first sign-in could claim anyone's account. */
  trustEmail: boolean;
}

export const DEFAULT_OIDC_SCOPES = ["openid", "email", "profile"];

const text = (max: number) => v.pipe(v.string("must be a string"), v.trim(), v.minLength(1, "required"), v.maxLength(max, `must be at most ${max} characters`));

const httpUrl = v.pipe(
  v.string("must be a string"),
  v.check((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "";
    } catch {
      return false;
    }
  }, "must be an http(s) URL without query or fragment, like https://sso.example.com/realms/main"),
);

const providerSchema = v.strictObject(
  {
    id: v.pipe(v.string("must be a string"), v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be url-safe: lower-case letters, digits, '_' or '-' (up to 63), like keycloak")),
    display_name: text(100),
    issuer_url: httpUrl,
    client_id: text(255),
    client_secret: v.optional(text(1000)),
    scopes: v.optional(
      v.pipe(
        v.array(v.pipe(v.string("must be a string"), v.regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "must be a scope name without spaces or quotes"))),
        v.check((scopes) => scopes.includes("openid"), "must include openid"),
      ),
      DEFAULT_OIDC_SCOPES,
    ),
    trust_email: v.optional(v.boolean("must be true or false"), false),
  },
  (issue) =>
    issue.expected === "never" ? "is not a known field (id, display_name, issuer_url, client_id, client_secret, scopes, trust_email)" : issue.input === undefined ? "required" : "must be an object",
);

const providersSchema = v.pipe(
  v.array(providerSchema, "must be a JSON array of providers"),
  v.check(
    (list) => new Set(list.map((p) => p.id)).size === list.length,
    (issue) => `ids must be unique: '${(issue.input as { id: string }[]).map((p) => p.id).find((id, i, ids) => ids.indexOf(id) !== i)}' appears more than once`,
  ),
);

/** The providers in `json` ("" = none), or every problem with it, each naming its place (`[1].issuer_url`). */
export function parseOidcProviders(json: string): { providers: OidcProvider[] } | { problems: string[] } {
  if (json.trim() === "") return { providers: [] };
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { problems: ["must be JSON: an array of {id, display_name, issuer_url, client_id, client_secret?, scopes?, trust_email?}"] };
  }
  const result = v.safeParse(providersSchema, data, { abortPipeEarly: true });
  if (!result.success) {
    return { problems: result.issues.map((issue) => `${placeOf(issue.path)}${issue.message}`) };
  }
  return {
    providers: result.output.map((p) => ({
      id: p.id,
      displayName: p.display_name,
      issuerUrl: p.issuer_url,
      clientId: p.client_id,
      clientSecret: p.client_secret,
      scopes: p.scopes,
      trustEmail: p.trust_email,
    })),
  };
}

function placeOf(path: v.BaseIssue<unknown>["path"]): string {
  if (!path?.length) return "";
  return `${path.map((item) => (typeof item.key === "number" ? `[${item.key}]` : `.${String(item.key)}`)).join("").replace(/^\./, "")}: `;
}

/** What GetAuthConfig tells the dashboard about a provider: everything but the secret. */
export function publicProvider(provider: OidcProvider): { id: string; displayName: string; clientId: string; issuerUrl: string; scopes: string[] } {
  return { id: provider.id, displayName: provider.displayName, clientId: provider.clientId, issuerUrl: provider.issuerUrl, scopes: provider.scopes };
}
