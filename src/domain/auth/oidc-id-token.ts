// Checking the id_token an OIDC provider returned from the code exchange: its signature against the provider's
// published keys (JWKS), then its claims (OIDC Core 3.1.3.7). What survives is who signed in: the provider's
// stable subject, its address, and whether it vouches for that address (email_verified exactly true).

import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import { decodeHeader, verify } from "hono/utils/jwt/jwt";
import type { AsymmetricAlgorithm } from "hono/utils/jwt/jwa";

/** An id_token that must not sign anybody in; the message says why, for the person and the operator. */
export class IdTokenRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdTokenRefused";
  }
}

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  /** Seconds since the epoch. */
  now: number;
}

export interface IdTokenIdentity {
  subject: string;
  /** As the provider sent it (not normalised). */
  email: string;
  /** email_verified is exactly true. Absent (Entra ID sends none) or anything else is not a promise. */
  emailVerified: boolean;
}

/** A key from the provider's JWKS, as published. */
export type PublishedKey = HonoJsonWebKey & { alg?: string; use?: string };

/** Clocks of the provider and of this server may differ by this much. */
export const CLOCK_SKEW_SECONDS = 60;

const ASYMMETRIC: AsymmetricAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Verifies signature and claims; throws IdTokenRefused saying what failed. */
export async function verifyIdToken(token: string, keys: PublishedKey[], expect: IdTokenExpectations): Promise<IdTokenIdentity> {
  const header = headerOf(token);
  const alg = header.alg as AsymmetricAlgorithm;
  if (!ASYMMETRIC.includes(alg)) {
    throw new IdTokenRefused(`the id_token is signed with '${String(header.alg)}'; only public-key algorithms (${ASYMMETRIC.join(", ")}) are accepted`);
  }
  // A provider with a single key may leave kid out of the token: any of its keys for the algorithm may match.
  const candidates = keys.filter((key) => (header.kid === undefined || key.kid === header.kid) && (key.alg === undefined || key.alg === alg) && key.use !== "enc");
  if (candidates.length === 0) throw new IdTokenRefused(`the id_token is signed by key '${header.kid ?? "(none named)"}', which the provider does not publish`);
  let payload: Record<string, unknown> | undefined;
  for (const key of candidates) {
    // Times are checked below, with tolerance for clock skew.
    payload = await verify(token, key, { alg, exp: false, nbf: false, iat: false }).catch(notThisKey);
    if (payload) break;
  }
  if (!payload) throw new IdTokenRefused("the id_token's signature does not verify against the provider's published keys");
  return checkIdTokenClaims(payload, expect);
}

/** A key that does not verify the token: its signature does not match (hono's Jwt* errors) or the key cannot be
 * used for the algorithm (WebCrypto's DataError and the like). Anything else is a fault, not a refusal. */
function notThisKey(error: unknown): undefined {
  if (error instanceof DOMException || (error instanceof Error && error.name.startsWith("Jwt"))) return undefined;
  throw error;
}

/** The key id the token's header names (undefined when none); throws IdTokenRefused when it is no JWT. */
export function idTokenKeyId(token: string): string | undefined {
  return headerOf(token).kid;
}

function headerOf(token: string): { alg?: unknown; kid?: string } {
  try {
    const header = decodeHeader(token) as { alg?: unknown; kid?: unknown };
    return { alg: header.alg, kid: typeof header.kid === "string" ? header.kid : undefined };
  } catch {
    throw new IdTokenRefused("the id_token is not a JWT");
  }
}

/** The claims checks of OIDC Core 3.1.3.7 that need no key; pure, so each rule is tested on plain data. */
export function checkIdTokenClaims(claims: Record<string, unknown>, expect: IdTokenExpectations): IdTokenIdentity {
  if (claims.iss !== expect.issuer) throw new IdTokenRefused(`the id_token was issued by '${String(claims.iss)}', not by '${expect.issuer}'`);
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!audiences.includes(expect.clientId)) throw new IdTokenRefused(`the id_token is meant for ${JSON.stringify(claims.aud ?? null)}, not for client '${expect.clientId}'`);
  if (claims.azp !== undefined && claims.azp !== expect.clientId) throw new IdTokenRefused(`the id_token was issued to client '${String(claims.azp)}', not to '${expect.clientId}'`);
  if (audiences.length > 1 && claims.azp === undefined) throw new IdTokenRefused("the id_token has several audiences but no azp naming this client");
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) throw new IdTokenRefused("the id_token has no exp");
  if (claims.exp <= expect.now - CLOCK_SKEW_SECONDS) throw new IdTokenRefused("the id_token has expired");
  if (typeof claims.iat !== "number" || !Number.isFinite(claims.iat)) throw new IdTokenRefused("the id_token has no iat");
  if (claims.iat > expect.now + CLOCK_SKEW_SECONDS) throw new IdTokenRefused("the id_token is issued in the future");
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > expect.now + CLOCK_SKEW_SECONDS)) throw new IdTokenRefused("the id_token is not valid yet");
  if (claims.nonce !== expect.nonce) throw new IdTokenRefused("the id_token's nonce does not match this sign-in");
  if (typeof claims.sub !== "string" || claims.sub === "" || claims.sub.length > 255) throw new IdTokenRefused("the id_token has no valid sub");
  if (typeof claims.email !== "string" || claims.email.trim() === "") throw new IdTokenRefused("the id_token carries no email: request the 'email' scope and give the account an address");
  return { subject: claims.sub, email: claims.email, emailVerified: claims.email_verified === true };
}
