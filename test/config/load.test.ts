import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { redactValue } from "../../src/config/redact.ts";

const dir = mkdtempSync(join(tmpdir(), "pug-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noSystemFile = join(dir, "absent.env");

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, systemEnvFile: noSystemFile });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  test("embedded defaults alone give a complete config", () => {
    const { config } = loadConfig({ env: {}, systemEnvFile: noSystemFile });
    expect(config.server.port).toBe(8080);
    expect(config.nats).toEqual({ url: "nats://127.0.0.1:4222", prefix: "pug", replicas: 1, streamLimits: {}, eventsPartitions: undefined });
    expect(config.serverAdmin).toEqual({ host: "127.0.0.1", port: 9089 });
    expect(config.clickhouse.cluster).toBeUndefined();
    expect(config.workerHealth).toEqual({ host: "127.0.0.1", port: 9090 });
    expect(config.smtp).toBeUndefined();
    expect(config.server.jwtPreviousSecret).toBeUndefined();
  });

  test("PUG_JWT_SECRET_KEY_PREVIOUS, set during a key change, is config.server.jwtPreviousSecret", () => {
    const env = { PUG_JWT_SECRET_KEY: "n".repeat(40), PUG_JWT_SECRET_KEY_PREVIOUS: "o".repeat(40) };
    expect(loadConfig({ env, systemEnvFile: noSystemFile }).config.server).toMatchObject({ jwtSecret: "n".repeat(40), jwtPreviousSecret: "o".repeat(40) });
  });

  test("the env file overrides defaults and the environment overrides the env file", () => {
    const file = join(dir, "pug.env");
    writeFileSync(file, "# comment\nPUG_SERVER_PORT=9000\nexport PUG_NATS_PREFIX='fromfile'\nPUG_EMAIL_FROM=\"Ops <ops@example.com>\"\n");
    const loaded = loadConfig({ envFile: file, env: { PUG_NATS_PREFIX: "fromenv" }, systemEnvFile: noSystemFile });
    expect(loaded.config.server.port).toBe(9000);
    expect(loaded.config.nats.prefix).toBe("fromenv");
    expect(loaded.values.PUG_SERVER_PORT.source).toBe(`file ${file}`);
    expect(loaded.values.PUG_NATS_PREFIX.source).toBe("environment");
    expect(loaded.values.PUG_EMAIL_FROM.text).toBe("Ops <ops@example.com>");
  });

  test("stream limits are read as bytes and ages per stream", () => {
    const { config } = loadConfig({ env: { PUG_NATS_STREAM_LIMITS: "events=20GiB/14d, events_dlq=512MiB/30d,email=1000/1h" }, systemEnvFile: noSystemFile });
    expect(config.nats.streamLimits).toEqual({ events: { maxBytes: 20 * 2 ** 30, maxAge: "14d" }, events_dlq: { maxBytes: 512 * 2 ** 20, maxAge: "30d" }, email: { maxBytes: 1000, maxAge: "1h" } });
  });

  test("/etc/pug/pug.env is read when present and nothing else names a file", () => {
    const system = join(dir, "system.env");
    writeFileSync(system, "PUG_SERVER_PORT=7000\n");
    expect(loadConfig({ env: {}, systemEnvFile: system }).config.server.port).toBe(7000);
  });

  test.each([
    [{ PUG_SERVER_PORT: "eighty" }, "PUG_SERVER_PORT: must be a whole number from 0 to 65535 (got 'eighty', from environment); example: PUG_SERVER_PORT=8080"],
    [{ PUG_SERVER_PORT: "70000" }, "PUG_SERVER_PORT: must be a whole number from 0 to 65535"],
    [{ DATABASE_URL: "mysql://u:hunter2@h/db" }, "DATABASE_URL: must be a URL starting with postgres:// or postgresql:// (got a value of 22 characters"],
    [{ CLICKHOUSE_URL: "clickhouse://h:9000" }, "CLICKHOUSE_URL: must be a URL starting with http:// or https://"],
    [{ NATS_URL: "http://h:4222" }, "NATS_URL: must be nats:// URLs"],
    [{ NATS_STREAM_REPLICAS: "0" }, "NATS_STREAM_REPLICAS: must be a whole number from 1 to 5"],
    [{ PUG_NATS_PREFIX: "a.b" }, "PUG_NATS_PREFIX: must be a stream/subject prefix"],
    [{ PUG_LOG_LEVEL: "loud" }, "PUG_LOG_LEVEL: must be one of debug, info, warn, error"],
    [{ PUG_JWT_SECRET_KEY: "short" }, "PUG_JWT_SECRET_KEY: must be at least 32 characters (got a value of 5 characters"],
    [{ PUG_JWT_SECRET_KEY_PREVIOUS: "short" }, "PUG_JWT_SECRET_KEY_PREVIOUS: must be at least 32 characters (got a value of 5 characters"],
    [{ PUG_CORS_ORIGINS: "https://a.example.com/path" }, "PUG_CORS_ORIGINS: must be comma-separated origins"],
    [{ PUG_WORKER_HEALTH_ADDR: "9090" }, "PUG_WORKER_HEALTH_ADDR: must be host:port"],
    [{ PUG_SERVER_ADMIN_ADDR: "localhost" }, "PUG_SERVER_ADMIN_ADDR: must be host:port"],
    [{ PUG_NATS_STREAM_LIMITS: "events=10GB/7d" }, "PUG_NATS_STREAM_LIMITS: must be comma-separated stream=SIZE/AGE entries"],
    [{ PUG_SMTP_URL: "mail.example.com" }, "PUG_SMTP_URL: must be a URL starting with smtp:// or smtps://"],
    [{ CLICKHOUSE_DATABASE: "" }, "CLICKHOUSE_DATABASE: must be a database name: letters, digits, '_' or '-' (it is empty"],
    [{ PUG_PROJECT_PURGE_GRACE_DAYS: "0" }, "PUG_PROJECT_PURGE_GRACE_DAYS: must be a whole number from 1 to 3650 (got '0', from environment)"],
  ])("%p is refused with a line naming the variable", (env, expected) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  test("every bad variable is reported at once", () => {
    const found = problems({ PUG_SERVER_PORT: "x", REDIS_URL: "nope", PUG_LOG_LEVEL: "loud" });
    expect(found.map((p) => p.split(":")[0]).sort()).toEqual(["PUG_LOG_LEVEL", "PUG_SERVER_PORT", "REDIS_URL"]);
  });

  test("a missing --env-file is an error, not silently skipped", () => {
    expect(() => loadConfig({ envFile: join(dir, "nope.env"), env: {}, systemEnvFile: noSystemFile })).toThrow("--env-file: no such file");
  });

  test("unknown PUG_ variables are warned about, with a suggestion", () => {
    const { warnings } = loadConfig({ env: { PUG_SERVR_PORT: "1" }, systemEnvFile: noSystemFile });
    expect(warnings).toEqual(["environment: unknown variable PUG_SERVR_PORT (did you mean PUG_SERVER_PORT?); it is ignored"]);
  });

  test("secrets are redacted", () => {
    expect(redactValue("DATABASE_URL", "postgres://pug:hunter2@db:5432/pug")).toBe("postgres://pug:***@db:5432/pug");
    expect(redactValue("PUG_JWT_SECRET_KEY", "x".repeat(40))).toBe("***");
    expect(redactValue("PUG_JWT_SECRET_KEY_PREVIOUS", "x".repeat(40))).toBe("***");
    expect(redactValue("PUG_SERVER_PORT", "8080")).toBe("8080");
  });

  test("OIDC providers are shown with every field but the public ones masked; text that is no JSON array of objects is masked whole", () => {
    const providers = [
      { id: "kc", display_name: "SSO", issuer_url: "https://sso.example.com/realms/main", client_id: "pug", client_secret: "hunter2", scopes: ["openid", "email"], trust_email: true },
      { id: "public", display_name: "Public", issuer_url: "https://idp.example.com", client_id: "spa" },
    ];
    expect(JSON.parse(redactValue("PUG_OIDC_PROVIDERS", JSON.stringify(providers, null, 2)))).toEqual([{ ...providers[0], client_secret: "***" }, providers[1]]);
    // A misspelt secret field (refused by the schema, yet printed when the config is shown) is masked too.
    expect(JSON.parse(redactValue("PUG_OIDC_PROVIDERS", JSON.stringify([{ id: "kc", clientSecret: "hunter2", secret: { value: "hunter3" } }])))).toEqual([{ id: "kc", clientSecret: "***", secret: "***" }]);
    expect(redactValue("PUG_OIDC_PROVIDERS", `["hunter2"]`)).toBe("***");
    expect(redactValue("PUG_JWT_SECRET_KEY_PREVIOUS", "y".repeat(40))).toBe("***");
    expect(redactValue("PUG_OIDC_PROVIDERS", `[{"client_secret": "hunter2",`)).toBe("***");
    expect(redactValue("PUG_OIDC_PROVIDERS", `{"client_secret": "hunter2"}`)).toBe("***");
  });

  test("PUG_OIDC_PROVIDERS is parsed into config.controlPlane.oidcProviders; its problems name each field and never the secret", () => {
    const good = [{ id: "kc", display_name: "SSO", issuer_url: "https://sso.example.com/realms/main", client_id: "pug", client_secret: "hunter2" }];
    expect(loadConfig({ env: { PUG_OIDC_PROVIDERS: JSON.stringify(good) }, systemEnvFile: noSystemFile }).config.controlPlane.oidcProviders).toEqual([
      { id: "kc", displayName: "SSO", issuerUrl: "https://sso.example.com/realms/main", clientId: "pug", clientSecret: "hunter2", scopes: ["openid", "email", "profile"], trustEmail: false },
    ]);
    expect(loadConfig({ env: {}, systemEnvFile: noSystemFile }).config.controlPlane.oidcProviders).toEqual([]);
    const bad = JSON.stringify([{ ...good[0], issuer_url: "sso", scopes: ["email"] }]);
    expect(problems({ PUG_OIDC_PROVIDERS: bad })).toEqual([
      `PUG_OIDC_PROVIDERS: [0].issuer_url: must be an http(s) URL without query or fragment, like https://sso.example.com/realms/main; [0].scopes: must include openid (got a value of ${bad.length} characters, from environment); example: PUG_OIDC_PROVIDERS='[{"id":"keycloak","display_name":"Company SSO","issuer_url":"https://sso.example.com/realms/main","client_id":"pug","client_secret":"…"}]'`,
    ]);
  });
});
