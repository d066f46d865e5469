import { beforeAll, describe, expect, test } from "bun:test";
import { sign } from "hono/utils/jwt/jwt";
import { checkIdTokenClaims, IdTokenRefused, type PublishedKey, verifyIdToken } from "./oidc-id-token.ts";

const NOW = 1_800_000_000;
const expect_ = { issuer: "https://sso.example.com/realms/main", clientId: "pug", nonce: "n-0S6_WzA2Mj", now: NOW };
const good = { iss: expect_.issuer, aud: "pug", sub: "248289761001", exp: NOW + 300, iat: NOW - 5, nonce: expect_.nonce, email: "Jane@Example.com", email_verified: true };

async function rsaKey(kid: string | undefined) {
  const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { n, e, kty } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const jwk = { kty, n, e, alg: "RS256", use: "sig", ...(kid ? { kid } : {}) } as PublishedKey;
  const privateJwk = { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), alg: "RS256", ...(kid ? { kid } : {}) } as PublishedKey;
  return { jwk, privateJwk };
}

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdTokenRefused) return `invalid: ${error.message}`;
    throw error;
  }
  return "accepted";
};

describe("claims", () => {
  test("a good token gives its subject and address", () => {
    expect(checkIdTokenClaims(good, expect_)).toEqual({ subject: "248289761001", email: "Jane@Example.com", emailVerified: true });
    expect(checkIdTokenClaims({ ...good, aud: ["pug", "other"], azp: "pug" }, expect_).subject).toBe("248289761001");
    // Only exactly true vouches for the address; absent (Entra ID) or a string is no promise, yet no refusal here:
    // an identity already bound still signs in.
    for (const unverified of [undefined, false, "true", 1]) {
      expect(checkIdTokenClaims({ ...good, email_verified: unverified }, expect_).emailVerified).toBe(false);
    }
    // Clock skew of up to a minute either way.
    expect(refusal(() => checkIdTokenClaims({ ...good, exp: NOW - 59, iat: NOW + 59, nbf: NOW + 59 }, expect_))).toBe("accepted");
  });

  test.each([
    [{ iss: "https://sso.example.com/realms/other" }, "invalid: the id_token was issued by 'https://sso.example.com/realms/other', not by 'https://sso.example.com/realms/main'"],
    [{ aud: "someone-else" }, `invalid: the id_token is meant for "someone-else", not for client 'pug'`],
    [{ aud: ["a", "b"] }, `invalid: the id_token is meant for ["a","b"], not for client 'pug'`],
    [{ aud: ["pug", "b"] }, "invalid: the id_token has several audiences but no azp naming this client"],
    [{ azp: "b" }, "invalid: the id_token was issued to client 'b', not to 'pug'"],
    [{ exp: undefined }, "invalid: the id_token has no exp"],
    [{ exp: NOW - 60 }, "invalid: the id_token has expired"],
    [{ iat: "yesterday" }, "invalid: the id_token has no iat"],
    [{ iat: NOW + 61 }, "invalid: the id_token is issued in the future"],
    [{ nbf: NOW + 61 }, "invalid: the id_token is not valid yet"],
    [{ nonce: "replayed" }, "invalid: the id_token's nonce does not match this sign-in"],
    [{ nonce: undefined }, "invalid: the id_token's nonce does not match this sign-in"],
    [{ sub: "" }, "invalid: the id_token has no valid sub"],
    [{ email: undefined }, "invalid: the id_token carries no email: request the 'email' scope and give the account an address"],
  ])("%p is refused", (change, why) => {
    expect(refusal(() => checkIdTokenClaims({ ...good, ...change }, expect_))).toBe(why);
  });
});

describe("signature", () => {
  let key: Awaited<ReturnType<typeof rsaKey>>;
  let other: Awaited<ReturnType<typeof rsaKey>>;
  const claims = { ...good, exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000) };
  const now = () => ({ ...expect_, now: Math.floor(Date.now() / 1000) });
  const refused = async (promise: Promise<unknown>) => await promise.then(() => "accepted", (error: Error) => error.message);

  beforeAll(async () => {
    key = await rsaKey("k1");
    other = await rsaKey("k1");
  });

  test("a token signed by a published key verifies; one by another key with the same kid does not", async () => {
    expect(await verifyIdToken(await sign(claims, key.privateJwk), [key.jwk], now())).toEqual({ subject: "248289761001", email: "Jane@Example.com", emailVerified: true });
    expect(await refused(verifyIdToken(await sign(claims, other.privateJwk), [key.jwk], now()))).toBe("the id_token's signature does not verify against the provider's published keys");
  });

  test("an unknown kid, alg none, HS256 and garbage are refused", async () => {
    const unknown = await rsaKey("k2");
    expect(await refused(verifyIdToken(await sign(claims, unknown.privateJwk), [key.jwk], now()))).toBe("the id_token is signed by key 'k2', which the provider does not publish");
    const none = `${btoa(JSON.stringify({ alg: "none", kid: "k1" })).replace(/=/g, "")}.${btoa(JSON.stringify(claims)).replace(/=/g, "")}.`;
    expect(await refused(verifyIdToken(none, [key.jwk], now()))).toBe("the id_token is signed with 'none'; only public-key algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA) are accepted");
    expect(await refused(verifyIdToken(await sign(claims, "shared secret", "HS256"), [key.jwk], now()))).toStartWith("the id_token is signed with 'HS256'");
    expect(await refused(verifyIdToken("not-a-jwt", [key.jwk], now()))).toBe("the id_token is not a JWT");
  });

  test("a token without kid is checked against every published key", async () => {
    const single = await rsaKey(undefined);
    expect((await verifyIdToken(await sign(claims, single.privateJwk), [key.jwk, single.jwk], now())).subject).toBe("248289761001");
    expect(await refused(verifyIdToken(await sign(claims, single.privateJwk), [key.jwk], now()))).toBe("the id_token's signature does not verify against the provider's published keys");
  });

  test("claims are checked after the signature", async () => {
    expect(await refused(verifyIdToken(await sign({ ...claims, nonce: "other" }, key.privateJwk), [key.jwk], now()))).toBe("the id_token's nonce does not match this sign-in");
  });
});
