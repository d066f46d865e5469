// The auth boundary for EVERY procedure the server answers, table-driven from the access table itself: each
// credential that must be refused is refused with the contract's code (and ErrorInfo reason for role denials), and
// the weakest credential that must pass gets past the boundary. Through the dashboard's own transport, JSON and
// binary. A procedure added to a service without a rule fails the unit test beside the table; one added with a
// rule is covered here without touching this file.

import { type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sign } from "hono/utils/jwt/jwt";
import { signAccessToken } from "../../src/domain/auth/access-token.ts";
import { type Role } from "../../src/domain/auth/roles.ts";
import { apiKeyHash, apiKeyHint, generateApiKey } from "../../src/domain/api-keys.ts";
import { ErrorInfoSchema } from "../../src/gen/google/rpc/error_info_pb.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { procedurePath, type Rule, ruleOf } from "../../src/server/auth/procedure-access.ts";
import { servedServices } from "../../src/server/served-services.ts";
import { seedMember, type SeededMember } from "../support/dashboard-people.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { TEST_DASHBOARD_ORIGIN, TEST_JWT_SECRET } from "../support/scratch.ts";

const services = servedServices;

let stack: IngestStack;
let sql: Sql;
/** One person per role in org A (whose first project is A's project); an admin of org B. */
const people = {} as Record<Role, SeededMember>;
let outsider: SeededMember;
let deletedProjectId: string;
let revokedKey: string;

beforeAll(async () => {
  stack = await ingestStack("api_permissions");
  sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 2 });
  people.admin = await seedMember(sql, "admin");
  people.member = await seedMember(sql, "member", { orgId: people.admin.orgId });
  people.viewer = await seedMember(sql, "viewer", { orgId: people.admin.orgId });
  outsider = await seedMember(sql, "admin");
  deletedProjectId = (await sql<{ id: string }[]>`INSERT INTO projects (org_id, name, deleted_at) VALUES (${people.admin.orgId}, 'gone', now()) RETURNING id`)[0]!.id;
  revokedKey = generateApiKey("private");
  await sql`INSERT INTO api_keys (project_id, kind, key_sha256, public_key, hint, revoked_at) VALUES (${stack.projectId}, 'private', ${apiKeyHash(revokedKey)}, NULL, ${apiKeyHint(revokedKey)}, now())`;
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

interface Outcome {
  code: Code | "ok";
  reason?: string;
  message?: string;
}

async function call(service: DescService, method: DescMethod, headers: Record<string, string>, binary: boolean, orgId?: string): Promise<Outcome> {
  const client = createClient(service, createConnectTransport({ baseUrl: stack.baseUrl, useBinaryFormat: binary, defaultTimeoutMs: 20_000 })) as Record<string, (req: object, opts: object) => unknown>;
  const request = orgId ? { orgId } : {};
  try {
    const reply = client[method.localName]!(request, { headers });
    if (method.methodKind === "server_streaming") for await (const _ of reply as AsyncIterable<unknown>) break;
    else await reply;
    return { code: "ok" };
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    return { code: error.code, reason: error.findDetails(ErrorInfoSchema)[0]?.reason, message: error.rawMessage };
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const forgedToken = () => signAccessToken("another-secret-another-secret-another!!", people.admin.customerId);
const expiredToken = () => signAccessToken(TEST_JWT_SECRET, people.admin.customerId, { nowSeconds: Math.floor(Date.now() / 1000) - 25 * 3600 });
const noneToken = () => `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${btoa(JSON.stringify({ iss: "pug/auth", aud: ["pug/dashboard"], sub: people.admin.customerId, exp: 4e9 })).replace(/=+$/, "")}.`;
const hs512Token = () => sign({ iss: "pug/auth", aud: ["pug/dashboard"], sub: people.admin.customerId, exp: 4e9 }, TEST_JWT_SECRET, "HS512");

interface Case {
  name: string;
  headers: () => Promise<Record<string, string>> | Record<string, string>;
  orgId?: () => string;
  expect: Code;
  reason?: string;
}

const weaker: Record<Role, Role | undefined> = { admin: "member", member: "viewer", viewer: undefined };

/** The credentials each kind of rule must refuse, with the code the contract gives. */
function refusals(rule: Rule): Case[] {
  const tokens: Case[] = [
    { name: "a token signed with another secret", headers: async () => bearer(await forgedToken()), expect: Code.Unauthenticated },
    { name: "an expired token", headers: async () => bearer(await expiredToken()), expect: Code.Unauthenticated },
    { name: "an unsigned (alg none) token", headers: () => bearer(noneToken()), expect: Code.Unauthenticated },
    { name: "a token of another algorithm (HS512)", headers: async () => bearer(await hs512Token()), expect: Code.Unauthenticated },
  ];
  const adminOfA = people.admin;
  switch (rule.access) {
    case "public":
      return [];
    case "sdk_key":
      return [
        { name: "no credentials", headers: () => ({}), expect: Code.Unauthenticated },
        { name: "a dashboard token instead of a key", headers: () => bearer(adminOfA.token), expect: Code.Unauthenticated },
        { name: "a revoked key", headers: () => ({ "x-api-key": revokedKey }), expect: Code.Unauthenticated },
      ];
    case "signed_in":
      return [
        { name: "no credentials", headers: () => ({}), expect: Code.Unauthenticated },
        { name: "a private key", headers: () => ({ "x-api-key": stack.privateKey }), expect: Code.Unauthenticated },
        ...tokens,
      ];
    case "org": {
      const lower = weaker[rule.role];
      return [
        { name: "no credentials", headers: () => ({}), orgId: () => adminOfA.orgId, expect: Code.Unauthenticated },
        { name: "a private key", headers: () => ({ "x-api-key": stack.privateKey }), orgId: () => adminOfA.orgId, expect: Code.Unauthenticated },
        ...tokens.map((c) => ({ ...c, orgId: () => adminOfA.orgId })),
        { name: "an org the person is not a member of", headers: () => bearer(outsider.token), orgId: () => adminOfA.orgId, expect: Code.PermissionDenied, reason: "ORG_NOT_A_MEMBER" },
        ...(lower ? [{ name: `a ${lower} (needs ${rule.role})`, headers: () => bearer(people[lower].token), orgId: () => adminOfA.orgId, expect: Code.PermissionDenied, reason: "ORG_ROLE_FORBIDDEN" }] : []),
      ];
    }
    case "project":
    case "project_or_private_key": {
      const lower = weaker[rule.role];
      const onA = (token: string) => ({ ...bearer(token), "x-project-id": adminOfA.projectId });
      return [
        { name: "no credentials", headers: () => ({ "x-project-id": adminOfA.projectId }), expect: Code.Unauthenticated },
        ...tokens.map((c) => ({ ...c, headers: async () => ({ ...(await c.headers()), "x-project-id": adminOfA.projectId }) })),
        { name: "a token without x-project-id", headers: () => bearer(adminOfA.token), expect: Code.Unauthenticated },
        { name: "a malformed x-project-id", headers: () => ({ ...bearer(adminOfA.token), "x-project-id": "project-1" }), expect: Code.Unauthenticated },
        { name: "another org's project", headers: () => ({ ...bearer(outsider.token), "x-project-id": adminOfA.projectId }), expect: Code.Unauthenticated },
        { name: "a deleted project", headers: () => ({ ...bearer(adminOfA.token), "x-project-id": deletedProjectId }), expect: Code.Unauthenticated },
        ...(lower ? [{ name: `a ${lower} (needs ${rule.role})`, headers: () => onA(people[lower].token), expect: Code.PermissionDenied, reason: "ORG_ROLE_FORBIDDEN" }] : []),
        ...(rule.access === "project"
          ? [{ name: "a private key (dashboard only)", headers: () => ({ "x-api-key": stack.privateKey }), expect: Code.Unauthenticated }]
          : [
              { name: "a public key", headers: () => ({ "x-api-key": stack.publicKey }), expect: Code.PermissionDenied },
              { name: "a revoked private key", headers: () => ({ "x-api-key": revokedKey }), expect: Code.Unauthenticated },
              { name: "a private key with another project's x-project-id", headers: () => ({ "x-api-key": stack.privateKey, "x-project-id": outsider.projectId }), expect: Code.Unauthenticated },
            ]),
      ];
    }
  }
}

/** A fresh org (and project) where a new person has exactly the role the rule asks for: passing may change it. */
async function weakestAllowed(rule: Rule): Promise<{ headers: Record<string, string>; orgId?: string } | undefined> {
  if (rule.access === "public" || rule.access === "sdk_key") return undefined;
  const person = await seedMember(sql, rule.access === "signed_in" ? "viewer" : rule.role);
  if (rule.access === "signed_in") return { headers: bearer(person.token) };
  if (rule.access === "org") return { headers: bearer(person.token), orgId: person.orgId };
  return { headers: { ...bearer(person.token), "x-project-id": person.projectId } };
}

const procedures = services.flatMap((service) => service.methods.map((method) => ({ service, method, path: procedurePath(service, method), rule: ruleOf(procedurePath(service, method))! })));

describe.each([["JSON", false], ["binary", true]] as const)("every procedure's credentials, %s", (_, binary) => {
  test.each(procedures.map((p) => [p.path, p] as const))("%s", async (__, { service, method, rule }) => {
    const seen: string[] = [];
    const wanted: string[] = [];
    for (const refusal of refusals(rule)) {
      const outcome = await call(service, method, await refusal.headers(), binary, refusal.orgId?.());
      seen.push(`${refusal.name}: ${outcome.code === "ok" ? "ok" : Code[outcome.code]}${outcome.reason ? ` ${outcome.reason}` : ""}`);
      wanted.push(`${refusal.name}: ${Code[refusal.expect]}${refusal.reason ? ` ${refusal.reason}` : ""}`);
    }
    expect(seen).toEqual(wanted);

    const allowed = await weakestAllowed(rule);
    if (allowed) {
      const outcome = await call(service, method, allowed.headers, binary, allowed.orgId);
      // Past the boundary: whatever the empty request earns, it is not a refusal of the credentials.
      expect({ procedure: procedurePath(service, method), refused: outcome.code === Code.Unauthenticated || outcome.code === Code.PermissionDenied ? outcome.message : undefined }).toEqual({ procedure: procedurePath(service, method), refused: undefined });
    }
    // Mounted, whoever may call it: the server knows the procedure.
    const bare = await call(service, method, allowed?.headers ?? {}, binary, allowed?.orgId);
    expect({ procedure: procedurePath(service, method), code: bare.code }).not.toEqual({ procedure: procedurePath(service, method), code: Code.Unimplemented });
  });
});

describe("CORS for the dashboard", () => {
  const path = "/dashboard.customers.v1.CustomersService/GetMe";
  const preflight = (origin: string) =>
    fetch(stack.baseUrl + path, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, x-project-id, content-type" } });

  test("the configured origin may call with credentials, authorization and x-project-id", async () => {
    const answer = await preflight(TEST_DASHBOARD_ORIGIN);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe(TEST_DASHBOARD_ORIGIN);
    expect(answer.headers.get("access-control-allow-credentials")).toBe("true");
    expect(answer.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(answer.headers.get("access-control-allow-headers")).toContain("x-project-id");
    const call = await fetch(stack.baseUrl + path, { method: "POST", headers: { origin: TEST_DASHBOARD_ORIGIN, "content-type": "application/json", ...bearer(people.viewer.token) }, body: "{}" });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe(TEST_DASHBOARD_ORIGIN);
    expect(((await call.json()) as { email: string }).email).toBe(people.viewer.email);
  });

  test("any other origin gets no CORS grant, so a browser keeps the answer from its page", async () => {
    const answer = await preflight("https://evil.example");
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    const call = await fetch(stack.baseUrl + path, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json", ...bearer(people.viewer.token) }, body: "{}" });
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
  });
});
