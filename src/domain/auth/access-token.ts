// Access tokens for the dashboard: HS256 JWTs, iss `pug/auth`, aud `pug/dashboard`, sub = customer id, 24 h, and
// `sid` = the refresh-token family of the session (so a password change can end every other session). The
// dashboard reads sub and exp without verifying and ignores other claims; the server verifies signature,
// algorithm, issuer, audience and expiry, and refuses any other algorithm (including `none`). iat is backdated a
// few seconds: a server whose clock is slightly behind the signer's would otherwise refuse a fresh token. While
// the secret is being rotated, a token signed with the previous one verifies too.

import { sign, verify } from "hono/utils/jwt/jwt";
import { isUuid } from "../uuid.ts";

export const ACCESS_TOKEN_ISSUER = "pug/auth";
export const ACCESS_TOKEN_AUDIENCE = "pug/dashboard";
export const ACCESS_TOKEN_TTL_SECONDS = 24 * 3600;
/** How far iat is put before the signing time, for clocks that differ between servers. */
export const CLOCK_SKEW_SECONDS = 5;

export interface AccessClaims {
  customerId: string;
  expiresAt: number;
  /** When it was signed, in Unix seconds: iat plus the backdating. */
  issuedAt: number;
  /** The refresh-token family of the session; absent in tokens minted without one. */
  sessionId?: string;
}

export interface SignOptions {
  /** The refresh-token family the token belongs to (`sid`). */
  sessionId?: string;
  /** When it is signed, in Unix seconds; now by default. */
  nowSeconds?: number;
}

/** A signed token for `customerId`: iat a few seconds before `nowSeconds`, exp 24 h after iat. */
export async function signAccessToken(secret: string, customerId: string, options: SignOptions = {}): Promise<string> {
  const iat = (options.nowSeconds ?? Math.floor(Date.now() / 1000)) - CLOCK_SKEW_SECONDS;
  const payload = {
    iss: ACCESS_TOKEN_ISSUER,
    aud: [ACCESS_TOKEN_AUDIENCE],
    sub: customerId,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + ACCESS_TOKEN_TTL_SECONDS,
    ...(options.sessionId === undefined ? {} : { sid: options.sessionId }),
  };
  return await sign(payload, secret, "HS256");
}

/** Why a token was refused, in words fit for the caller. */
export class AccessTokenRefused extends Error {}

/** Verifies with `secret`, or with `previousSecret` (if given) when the signature is not the current secret's. */
export async function verifyAccessToken(secret: string, token: string, previousSecret?: string): Promise<AccessClaims> {
  let payload;
  try {
    payload = await verify(token, secret, { alg: "HS256", iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE }).catch((error: Error) => {
      if (previousSecret === undefined || error.name !== "JwtTokenSignatureMismatched") throw error;
      return verify(token, previousSecret, { alg: "HS256", iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE });
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "JwtTokenExpired") throw new AccessTokenRefused("the dashboard token has expired; refresh the session");
    throw new AccessTokenRefused(`invalid dashboard token (${name})`);
  }
  if (typeof payload.sub !== "string" || !/^[0-9a-f-]{36}$/i.test(payload.sub)) throw new AccessTokenRefused("invalid dashboard token (no subject)");
  if (typeof payload.exp !== "number") throw new AccessTokenRefused("invalid dashboard token (no expiry)");
  if (typeof payload.iat !== "number") throw new AccessTokenRefused("invalid dashboard token (no issue time)");
  const sid = payload.sid;
  if (sid !== undefined && (typeof sid !== "string" || !isUuid(sid))) throw new AccessTokenRefused("invalid dashboard token (malformed sid)");
  return { customerId: payload.sub, expiresAt: payload.exp, issuedAt: payload.iat + CLOCK_SKEW_SECONDS, ...(sid === undefined ? {} : { sessionId: sid }) };
}
