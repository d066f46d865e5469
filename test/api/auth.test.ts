// The auth boundary of the shared services, table-driven: what each credential gets, in unary and streaming
// calls, JSON and binary, against a running `pug server`.

import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiKeyHash, apiKeyHint, generateApiKey } from "../../src/domain/api-keys.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { revokeApiKey } from "../../src/server/projects.ts";
import { seedProfiles, sharedClients } from "../support/api-clients.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";

let stack: IngestStack;
let sql: Sql;
let profileId: string;

beforeAll(async () => {
  stack = await ingestStack("api_auth");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  [profileId] = (await seedProfiles(sql, stack.projectId, [{ externalId: "someone" }])) as [string];
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

/** What a call answered: "ok", or the Connect code and message. */
async function outcome(headers: Record<string, string>, call: "get" | "list" | "stats", binary: boolean): Promise<string> {
  const { profiles, activity } = sharedClients(stack.baseUrl, binary);
  const run = async () => {
    if (call === "get") return (await profiles.get({ id: profileId }, { headers })).profile?.externalId;
    if (call === "stats") return (await activity.getProfileStats({ distinctId: "someone" }, { headers })).properties ? "someone" : "";
    for await (const page of profiles.list({}, { headers })) return page.profiles[0]?.externalId;
  };
  return run().then(
    (found) => (found === "someone" ? "ok" : `unexpected answer ${found}`),
    (error) => (error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : String(error)),
  );
}

const cases: [string, () => Record<string, string>, RegExp][] = [
  ["the project's private key", () => ({ "x-api-key": stack.privateKey }), /^ok$/],
  ["no credentials", () => ({}), /^Unauthenticated: missing credentials: send a private API key/],
  ["a malformed key", () => ({ "x-api-key": "prv_secret" }), /^Unauthenticated: malformed API key/],
  ["an unknown private key", () => ({ "x-api-key": `prv_${"0".repeat(32)}` }), /^Unauthenticated: unknown or revoked API key$/],
  ["the project's public key", () => ({ "x-api-key": stack.publicKey }), /^PermissionDenied: a public key \(pub_…\) may only send events; this service takes a private key/],
  ["a forged dashboard bearer token", () => ({ authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x" }), /^Unauthenticated: invalid dashboard token/],
  // The token decides when one is sent: a bad token is not rescued by a key beside it.
  ["a bad bearer token beside a private key", () => ({ authorization: "Bearer abc", "x-api-key": stack.privateKey }), /^Unauthenticated: invalid dashboard token/],
];

describe.each([["JSON", false], ["binary", true]] as const)("shared services' auth in %s", (_, binary) => {
  test.each(cases)("%s", async (__, headers, expected) => {
    for (const call of ["get", "list", "stats"] as const) expect(`${call}: ${await outcome(headers(), call, binary)}`).toMatch(new RegExp(`^${call}: ${expected.source.slice(1)}`));
  });
});

describe("key life cycle", () => {
  test("a new private key works within the snapshot's refresh, and stops within it once revoked", async () => {
    const key = generateApiKey("private");
    await sql`INSERT INTO api_keys (project_id, kind, key_sha256, public_key, hint) VALUES (${stack.projectId}, 'private', ${apiKeyHash(key)}, NULL, ${apiKeyHint(key)})`;
    let started = Date.now();
    await waitFor("the new key to work", async () => (await outcome({ "x-api-key": key }, "get", false)) === "ok", 5_000);
    const works = Date.now() - started;
    expect(await revokeApiKey(sql, key)).toBe(true);
    started = Date.now();
    await waitFor("the revoked key to be refused", async () => (await outcome({ "x-api-key": key }, "get", false)).startsWith("Unauthenticated: unknown or revoked"), 5_000);
    console.log(`new key worked after ${works} ms; revoked key refused after ${Date.now() - started} ms`);
  });

  test("SDK calls still pass the boundary with a public key, and a private key cannot travel in the URL", async () => {
    const url = `${stack.baseUrl}/sdk.profiles.v1.ProfilesSDKService/Identify`;
    const identify = (headers: Record<string, string>, query = "") =>
      fetch(url + query, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ externalId: "u1" }) });
    expect((await identify({ "x-api-key": stack.publicKey })).status).toBe(200);
    expect((await identify({}, `?api_key=${stack.publicKey}`)).status).toBe(200);
    const refused = await identify({}, `?api_key=${stack.privateKey}`);
    expect([refused.status, ((await refused.json()) as { message: string }).message]).toEqual([401, "api_key query parameter: only public keys (pub_…) may be sent in a URL; send private keys in the x-api-key header"]);
  });
});
