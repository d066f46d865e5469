// `pug project create` and `pug apikey revoke` against a migrated scratch Postgres: the project and its two keys
// land in the store the dashboard uses, and revoking a key marks exactly that key.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { apiKeyHash } from "../../src/domain/api-keys.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";

let env: ScratchEnv;
let sql: Sql;

beforeAll(async () => {
  env = await scratchEnv("cli_project");
  expectSuccess(await runPug(["migrate"], env), "pug migrate");
  sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
});
afterAll(async () => {
  await sql?.end();
});

test("project create prints a project with a public and a private key; apikey revoke revokes one of them", async () => {
  const created = expectSuccess(await runPug(["project", "create", "Web shop"], env)).stdout;
  const projectId = /project id:\s+(\S+)/.exec(created)![1]!;
  const publicKey = /public key:\s+(pub_[0-9a-f]{32})/.exec(created)![1]!;
  const privateKey = /private key:\s+(prv_[0-9a-f]{32})/.exec(created)![1]!;
  expect([...(await sql`SELECT p.name, o.name AS org, p.reporting_timezone FROM projects p JOIN orgs o ON o.id = p.org_id WHERE p.id = ${projectId}`)]).toEqual([
    { name: "Web shop", org: "Default", reporting_timezone: "UTC" },
  ]);
  const keys = await sql<{ kind: string; public_key: string | null; key_sha256: Buffer }[]>`
    SELECT kind, public_key, key_sha256 FROM api_keys WHERE project_id = ${projectId} AND revoked_at IS NULL ORDER BY kind DESC`;
  expect(keys.map((k) => [k.kind, k.public_key, k.key_sha256.equals(apiKeyHash(k.kind === "public" ? publicKey : privateKey))])).toEqual([
    ["public", publicKey, true],
    ["private", null, true],
  ]);

  expect(expectSuccess(await runPug(["apikey", "revoke", privateKey], env)).stdout.trim()).toBe("revoked");
  expect([...(await sql`SELECT kind FROM api_keys WHERE project_id = ${projectId} AND revoked_at IS NULL`)]).toEqual([{ kind: "public" }]);
  const again = await runPug(["apikey", "revoke", privateKey], env);
  expect([again.code, again.stderr.trim()]).toEqual([1, "pug: no active key matches"]);
});
