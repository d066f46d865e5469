// `pug doctor` as an operator runs it: against healthy servers, then with each dependency broken in turn.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectNats } from "../../src/infra/nats.ts";
import { runDoctor } from "../support/doctor-report.ts";
import { startOidcProvider } from "../support/oidc-provider.ts";
import { freePort } from "../support/ports.ts";
import { type PrivateServer, startNats, startRedis } from "../support/private-servers.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";

let env: ScratchEnv;
const servers: PrivateServer[] = [];

beforeAll(async () => {
  env = await scratchEnv("doctor");
  expectSuccess(await runPug(["migrate"], env), "pug migrate");
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const doctor = (overrides: Record<string, string>) => runDoctor({ ...env, ...overrides });

describe("pug doctor", () => {
  test("healthy dependencies: exit 0 and no failed check", async () => {
    const { code, report, check } = await doctor({});
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(check("nats stream replicas")).toEqual({ name: "nats stream replicas", status: "ok", figure: "single server (not clustered), 8 streams R1" });
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toContain("nats consumers");
    // No SMTP in the test env: a warning (mail waits queued), not a failure.
    expect(check("smtp reachable")).toMatchObject({ status: "warn", message: expect.stringContaining("PUG_SMTP_URL is not set"), fix: expect.stringContaining("pug login-link") });
  });

  test("the text report marks each line and ends with a verdict", async () => {
    const result = await runPug(["doctor"], { ...env, REDIS_URL: `redis://127.0.0.1:${freePort()}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✓ postgres reachable\s+\d+\.\d ms$/m);
    expect(result.stdout).toMatch(/^✗ redis reachable .*— fix: is Redis running at redis:\/\/127\.0\.0\.1:\d+\? check REDIS_URL$/m);
    expect(result.stdout.trim().split("\n").at(-1)).toBe("1 check failed");
  });

  const broken: [string, () => Promise<Record<string, string>>, string, RegExp][] = [
    ["Postgres on a wrong port", async () => ({ DATABASE_URL: env.DATABASE_URL.replace(":5432/", `:${freePort()}/`) }), "postgres reachable", /DATABASE_URL/],
    ["Postgres with an unknown user", async () => ({ DATABASE_URL: env.DATABASE_URL.replace("//postgres@", "//nobody_here:wrong@") }), "postgres authenticated", /user and password in DATABASE_URL/],
    ["ClickHouse on a wrong port", async () => ({ CLICKHOUSE_URL: `http://127.0.0.1:${freePort()}` }), "clickhouse reachable", /CLICKHOUSE_URL/],
    ["ClickHouse with a wrong password", async () => ({ CLICKHOUSE_URL: env.CLICKHOUSE_URL.replace("http://", "http://default:wrong@") }), "clickhouse authenticated", /user and password in CLICKHOUSE_URL/],
    ["NATS on a wrong port", async () => ({ NATS_URL: `nats://127.0.0.1:${freePort()}` }), "nats reachable", /NATS_URL/],
    ["NATS without JetStream", async () => {
      const nats = await startNats({ jetstream: false });
      servers.push(nats);
      return { NATS_URL: nats.url };
    }, "nats jetstream enabled", /-js/],
    ["NATS with wrong credentials", async () => {
      const nats = await startNats({ user: "pug", password: "right" });
      servers.push(nats);
      return { NATS_URL: nats.url.replace("nats://", "nats://pug:wrong@") };
    }, "nats authenticated", /credentials in NATS_URL/],
    ["Redis on a wrong port", async () => ({ REDIS_URL: `redis://127.0.0.1:${freePort()}` }), "redis reachable", /REDIS_URL/],
    ["Redis with a wrong password", async () => {
      const redis = await startRedis({ password: "right" });
      servers.push(redis);
      return { REDIS_URL: redis.url.replace("redis://", "redis://:wrong@") };
    }, "redis authenticated", /password in REDIS_URL/],
    ["SMTP that nobody answers", async () => ({ PUG_SMTP_URL: `smtp://127.0.0.1:${freePort()}` }), "smtp reachable", /PUG_SMTP_URL/],
  ];

  test.each(broken)("%s fails '%s'-style checks with a fix and exit 1", async (_label, breakIt, checkName, fix) => {
    const { code, check, report } = await doctor(await breakIt());
    expect(check(checkName).status).toBe("fail");
    expect(check(checkName).fix).toMatch(fix);
    expect(report.ok).toBe(false);
    expect(code).toBe(1);
  });

  test("NATS_URL as a list: a down server is a warning, and credentials inside the URLs log in", async () => {
    const nats = await startNats({ user: "pug", password: "s@cret" });
    servers.push(nats);
    const down = `nats://127.0.0.1:${freePort()}`;
    const { check } = await doctor({ NATS_URL: `${down}, ${nats.url.replace("nats://", "nats://pug:s%40cret@")}` });
    const reachable = check("nats reachable");
    expect([reachable.status, reachable.message, reachable.fix]).toEqual(["warn", expect.stringContaining(`no answer from ${down}`), expect.stringContaining("remove it from NATS_URL")]);
    expect(reachable.figure).toMatch(/^1 of 2 servers answered, \d+\.\d ms$/);
    expect(check("nats authenticated").status).toBe("ok");
    expect(check("nats jetstream enabled").status).toBe("ok");
    // Logged in and asked JetStream: nobody migrated this server.
    expect(check("nats streams")).toMatchObject({ status: "fail", message: expect.stringContaining(`missing: ${env.PUG_NATS_PREFIX}_events`) });
  });

  test("a store nobody migrated fails its migrations check, naming the command that fixes it", async () => {
    const fresh = await scratchEnv("doctor_fresh");
    const { code, check } = await doctor(fresh);
    expect(check("postgres migrations")).toMatchObject({ status: "fail", fix: "run `pug postgres migrate` (or `pug migrate`)" });
    expect(check("postgres migrations").message).toContain("0001_orgs.sql");
    expect(check("nats streams").status).toBe("fail");
    expect(code).toBe(1);
  });

  test("a deleted JetStream stream is named, with the fix", async () => {
    const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
    try {
      await nats.jsm.streams.delete(nats.names.stream("email"));
    } finally {
      await nats.close();
    }
    const { code, check } = await doctor({});
    expect(check("nats streams")).toMatchObject({ status: "fail", message: `missing: ${env.PUG_NATS_PREFIX}_email`, fix: "run `pug nats migrate` to create them" });
    expect(check("nats consumers").message).toContain(`${env.PUG_NATS_PREFIX}_email/email-worker`);
    expect(code).toBe(1);

    const repaired = await runPug(["nats", "migrate"], env);
    expect(repaired.stdout).toContain(`created stream ${env.PUG_NATS_PREFIX}_email`);
    expect((await doctor({})).check("nats streams").status).toBe("ok");
  });

  test("each OIDC provider is asked for its keys: a live one is ok, one without S256 PKCE is warned about, one nobody answers for fails with the fix", async () => {
    const peer = await startOidcProvider();
    const lax = await startOidcProvider();
    lax.codeChallengeMethods = ["plain"];
    try {
      const providers = [
        { id: "corp", display_name: "Corp", issuer_url: peer.issuer, client_id: peer.clientId },
        { id: "lax", display_name: "Lax", issuer_url: lax.issuer, client_id: "pug-lax" },
        { id: "gone", display_name: "Gone", issuer_url: `http://127.0.0.1:${freePort()}/realms/x`, client_id: "pug" },
      ];
      const { code, check } = await doctor({ PUG_OIDC_PROVIDERS: JSON.stringify(providers) });
      expect(check("oidc provider corp")).toMatchObject({ status: "ok", figure: expect.stringMatching(/^1 signing key, [\d.]+ ms$/) });
      expect(check("oidc provider lax")).toMatchObject({
        status: "warn",
        message: "its discovery document does not list S256 in code_challenge_methods_supported (lists: plain)",
        fix: expect.stringContaining("make the provider require PKCE with S256 for client 'pug-lax'"),
      });
      expect(check("oidc provider gone")).toMatchObject({ status: "fail", fix: expect.stringContaining("check issuer_url http://127.0.0.1:") });
      expect(code).toBe(1);
    } finally {
      await peer.stop();
      await lax.stop();
    }
  });

  test("a bad configuration is reported as failed checks, not a crash", async () => {
    const { code, report } = await doctor({ PUG_SERVER_PORT: "http", NATS_STREAM_REPLICAS: "9" });
    expect(code).toBe(1);
    expect(report.checks.map((c) => c.message?.split(":")[0]).sort()).toEqual(["NATS_STREAM_REPLICAS", "PUG_SERVER_PORT"]);
  });
});
