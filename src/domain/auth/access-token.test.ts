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
    const expiresAt = now - 5 + ACCESS_TOKEN_TTL_SECONDS;
    expect(await verifyAccessToken(SECRET, await signAccessToken(SECRET, CUSTOMER, { sessionId: FAMILY }))).toEqual({ customerId: CUSTOMER, expiresAt, issuedAt: now, sessionId: FAMILY });
    expect(await verifyAccessToken(SECRET, await signAccessToken(SECRET, CUSTOMER))).toEqual({ customerId: CUSTOMER, expiresAt, issuedAt: now });
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

  test("while rotating, a token of the previous secret verifies; one of neither does not", async () => {
    const NEW = "the-new-secret-of-enough-length-for-hs256";
    const old = await signAccessToken(SECRET, CUSTOMER, { sessionId: FAMILY });
    expect((await verifyAccessToken(NEW, old, SECRET)).sessionId).toBe(FAMILY);
    expect((await verifyAccessToken(NEW, await signAccessToken(NEW, CUSTOMER), SECRET)).customerId).toBe(CUSTOMER);
    await expect(verifyAccessToken(NEW, old)).rejects.toThrow("invalid dashboard token (JwtTokenSignatureMismatched)");
    await expect(verifyAccessToken(NEW, await signAccessToken("a-third-secret-of-enough-length-for-hs256", CUSTOMER), SECRET)).rejects.toThrow(
      "invalid dashboard token (JwtTokenSignatureMismatched)",
    );
    // An expired token of the previous secret is expired, not retried further.
    const expiredOld = await signAccessToken(SECRET, CUSTOMER, { nowSeconds: Math.floor(Date.now() / 1000) - ACCESS_TOKEN_TTL_SECONDS });
    await expect(verifyAccessToken(NEW, expiredOld, SECRET)).rejects.toThrow("the dashboard token has expired; refresh the session");
  });
});
