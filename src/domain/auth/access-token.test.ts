import { describe, expect, test } from "bun:test";
import { decode } from "hono/utils/jwt/jwt";
import { ACCESS_TOKEN_TTL_SECONDS, AccessTokenRefused, signAccessToken, verifyAccessToken } from "./access-token.ts";

const SECRET = "a-test-secret-of-enough-length-for-hs256!";
const CUSTOMER = "0b5e3c1a-6f1d-4a53-9a0e-4f9d6c3b2a10";
const FAMILY = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

describe("access tokens", () => {
  test("claims as the contract says, plus the session's refresh family as sid", async () => {
    const token = await signAccessToken(SECRET, CUSTOMER, { sessionId: FAMILY, nowSeconds: 1_700_000_000 });
    const { header, payload } = decode(token);
    expect(header).toEqual({ alg: "HS256", typ: "JWT" });
    expect(payload).toEqual({
      iss: "pug/auth",
      aud: ["pug/dashboard"],
      sub: CUSTOMER,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: 1_700_000_000 - 5,
      exp: 1_700_000_000 - 5 + ACCESS_TOKEN_TTL_SECONDS,
      sid: FAMILY,
    });
    expect(decode(await signAccessToken(SECRET, CUSTOMER)).payload.sid).toBeUndefined();
  });

  test("verifying gives the customer and session back", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await verifyAccessToken(SECRET, await signAccessToken(SECRET, CUSTOMER, { sessionId: FAMILY }))).toEqual({ customerId: CUSTOMER, expiresAt: now - 5 + ACCESS_TOKEN_TTL_SECONDS, sessionId: FAMILY });
    expect(await verifyAccessToken(SECRET, await signAccessToken(SECRET, CUSTOMER))).toEqual({ customerId: CUSTOMER, expiresAt: now - 5 + ACCESS_TOKEN_TTL_SECONDS });
  });

  test("a token from a server whose clock runs a few seconds ahead is accepted", async () => {
    const ahead = Math.floor(Date.now() / 1000) + 4;
    expect((await verifyAccessToken(SECRET, await signAccessToken(SECRET, CUSTOMER, { nowSeconds: ahead }))).customerId).toBe(CUSTOMER);
  });

  test("expired, forged and wrongly signed tokens are refused", async () => {
    const expired = signAccessToken(SECRET, CUSTOMER, { nowSeconds: Math.floor(Date.now() / 1000) - ACCESS_TOKEN_TTL_SECONDS });
    await expect(verifyAccessToken(SECRET, await expired)).rejects.toThrow(new AccessTokenRefused("the dashboard token has expired; refresh the session"));
    await expect(verifyAccessToken("another-secret-another-secret-another!!", await signAccessToken(SECRET, CUSTOMER))).rejects.toThrow("invalid dashboard token (JwtTokenSignatureMismatched)");
  });
});
