// Access tokens for the dashboard: HS256 JWTs, iss `pug/auth`, aud `pug/dashboard`, sub = customer id, 24 h.
// The dashboard reads sub and exp without verifying; the server verifies signature, algorithm, issuer, audience
// and expiry, and refuses any other algorithm (including `none`).

import { sign, verify } from "hono/utils/jwt/jwt";

export const ACCESS_TOKEN_ISSUER = "pug/auth";
export const ACCESS_TOKEN_AUDIENCE = "pug/dashboard";
export const ACCESS_TOKEN_TTL_SECONDS = 24 * 3600;

export interface AccessClaims {
  customerId: string;
  expiresAt: number;
}

/** A signed token for `customerId`, issued at `nowSeconds`. */
export async function signAccessToken(secret: string, customerId: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const payload = {
    iss: ACCESS_TOKEN_ISSUER,
    aud: [ACCESS_TOKEN_AUDIENCE],
    sub: customerId,
    jti: crypto.randomUUID(),
    iat: nowSeconds,
    exp: nowSeconds + ACCESS_TOKEN_TTL_SECONDS,
  };
  return await sign(payload, secret, "HS256");
}

/** Why a token was refused, in words fit for the caller. */
export class AccessTokenRefused extends Error {}

export async function verifyAccessToken(secret: string, token: string): Promise<AccessClaims> {
  let payload;
  try {
    payload = await verify(token, secret, { alg: "HS256", iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "JwtTokenExpired") throw new AccessTokenRefused("the dashboard token has expired; refresh the session");
    throw new AccessTokenRefused(`invalid dashboard token (${name})`);
  }
  if (typeof payload.sub !== "string" || !/^[0-9a-f-]{36}$/i.test(payload.sub)) throw new AccessTokenRefused("invalid dashboard token (no subject)");
  if (typeof payload.exp !== "number") throw new AccessTokenRefused("invalid dashboard token (no expiry)");
  return { customerId: payload.sub, expiresAt: payload.exp };
}
