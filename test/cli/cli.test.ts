// The command line as an operator meets it: usage, help, exit codes, configuration errors, `pug config`.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commands } from "../../src/cli/main.ts";
import { VERSION } from "../../src/version.ts";
import { runPug } from "../support/pug-process.ts";

const dir = mkdtempSync(join(tmpdir(), "pug-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pug command line", () => {
  test("no command prints usage and exits 2", async () => {
    const result = await runPug([], {});
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("usage: pug <command> [options]");
  });

  test.each([
    [["bogus"], "pug: unknown command 'bogus'"],
    [["postgres"], "pug: unknown command 'postgres' (did you mean 'postgres migrate'?)"],
    [["version", "--verbose"], "pug: Unknown option '--verbose'"],
    [["worker"], "pug: which worker? one of events, profile, email, scheduler"],
    [["worker", "billing"], "pug: unknown worker 'billing' (workers: events, profile, email, scheduler)"],
    [["migrate", "sideways"], "pug: unknown action 'sideways' (the only one is 'status')"],
    [["doctor", "extra"], "pug: Unexpected argument 'extra'. This command does not take positional arguments"],
    [["version", "--env-file"], "pug: --env-file needs a file name"],
  ])("%p is a one-line error plus usage, exit 2", async (args, message) => {
    const result = await runPug(args, {});
    expect(result.code).toBe(2);
    const [first, second] = result.stderr.split("\n");
    expect(first).toBe(message);
    expect(second).toStartWith("usage: ");
  });

  test("--help works on every command and exits 0", async () => {
    for (const command of commands) {
      const result = await runPug([...command.name.split(" "), "--help"], {});
      expect({ command: command.name, code: result.code }).toEqual({ command: command.name, code: 0 });
      expect(result.stdout).toStartWith(`usage: ${command.usage}`);
    }
  });

  test("version names this build", async () => {
    const result = await runPug(["version"], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toStartWith(`pug ${VERSION} (bun `);
  });

  test("a bad configuration stops a command with every problem named, exit 1", async () => {
    const result = await runPug(["server"], { PUG_SERVER_PORT: "abc", DATABASE_URL: "mysql://root:hunter2@db/pug" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("PUG_SERVER_PORT: must be a whole number from 0 to 65535 (got 'abc', from environment); example: PUG_SERVER_PORT=8080");
    expect(result.stderr).toContain("DATABASE_URL: must be a URL starting with postgres:// or postgresql://");
    expect(result.stderr).not.toContain("hunter2");
  });

  test("pug config shows effective values with their source and never a secret", async () => {
    const envFile = join(dir, "pug.env");
    const oidc = `[{"id":"kc","display_name":"SSO","issuer_url":"https://sso.example.com/realms/main","client_id":"pug","client_secret":"oidc-s3cret"}]`;
    writeFileSync(envFile, `DATABASE_URL=postgres://pug:s3cret-pw@db.internal:5432/pug\nPUG_SERVER_PORT=9000\nPUG_OIDC_PROVIDERS='${oidc}'\n`);
    const result = await runPug(["config", "--env-file", envFile], { PUG_JWT_SECRET_KEY: "k".repeat(40), PUG_LOG_LEVEL: "debug" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`# env file: ${envFile}`);
    expect(result.stdout).toContain(`DATABASE_URL=postgres://pug:***@db.internal:5432/pug  # file ${envFile}`);
    expect(result.stdout).toContain(`PUG_SERVER_PORT=9000  # file ${envFile}`);
    expect(result.stdout).toContain("PUG_JWT_SECRET_KEY=***  # environment");
    expect(result.stdout).toContain("PUG_LOG_LEVEL=debug  # environment");
    expect(result.stdout).toContain("NATS_STREAM_REPLICAS=1  # default");
    expect(result.stdout).not.toContain("s3cret-pw");
    expect(result.stdout).not.toContain("kkkk");
    expect(result.stdout).toContain(`PUG_OIDC_PROVIDERS=${oidc.replace("oidc-s3cret", "***")}  # file ${envFile}`);
    expect(result.stdout).not.toContain("oidc-s3cret");
  });

  test("PUG_ENV_FILE pointing nowhere is an error, not silently ignored", async () => {
    const result = await runPug(["config"], { PUG_ENV_FILE: join(dir, "missing.env") });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`PUG_ENV_FILE: no such file '${join(dir, "missing.env")}'`);
  });
});

describe("pug systemd install", () => {
  test("writes units that systemd-analyze verifies without a single warning", async () => {
    if (!Bun.which("systemd-analyze")) {
      const install = Bun.spawnSync(["bash", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd"], { stdout: "ignore", stderr: "pipe" });
      if (install.exitCode !== 0) throw new Error(`could not install systemd for systemd-analyze: ${install.stderr}`);
    }
    const units = join(dir, "units");
    const result = await runPug(["systemd", "install", "--dir", units, "--exec", process.execPath], {});
    expect(result.code).toBe(0);
    for (const name of ["pug-migrate.service", "pug-server.service", "pug-worker@.service", "pug.target"]) {
      expect(result.stdout).toContain(`wrote ${join(units, name)}`);
      expect(readFileSync(join(units, name), "utf8")).not.toContain("/usr/local/bin/pug");
    }
    const server = readFileSync(join(units, "pug-server.service"), "utf8");
    expect(server).toContain(`ExecStart=${process.execPath} server`);
    for (const line of ["EnvironmentFile=/etc/pug/pug.env", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "User=pug"]) {
      expect(server).toContain(line);
    }
    const verify = Bun.spawnSync(
      ["systemd-analyze", "verify", "--man=no", "pug-migrate.service", "pug-server.service", "pug-worker@events.service", "pug.target"].map((a, i) => (i > 2 ? join(units, a) : a)),
      { cwd: units, stdout: "pipe", stderr: "pipe" },
    );
    expect(verify.stderr.toString()).toBe("");
    expect(verify.exitCode).toBe(0);
  });
});
