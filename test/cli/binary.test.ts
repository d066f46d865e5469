// The shipped artefact: `scripts/build` makes one file that, copied alone into an empty directory and run from
// elsewhere with nothing but environment variables, still has its migrations, defaults and units inside.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../support/ports.ts";
import { expectSuccess, runPug, startPug, waitForHttp } from "../support/pug-process.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";

const root = resolve(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "pug-binary-"));
const lonely = join(work, "bin");
const elsewhere = join(work, "elsewhere");
const binary = join(lonely, "pug");
let env: ScratchEnv;

beforeAll(async () => {
  const built = join(work, "build", "pug");
  const build = Bun.spawnSync(["scripts/build", "--outfile", built], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`scripts/build failed: ${build.stderr}`);
  mkdirSync(lonely);
  mkdirSync(elsewhere);
  copyFileSync(built, binary);
  Bun.spawnSync(["chmod", "+x", binary]);
  env = await scratchEnv("binary");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[], extra: Record<string, string> = {}) => runPug(args, { ...env, ...extra }, { binary, cwd: elsewhere });

describe("dist/pug alone", () => {
  test("is the only file in its directory", () => {
    expect(readdirSync(lonely)).toEqual(["pug"]);
  });

  test("version", async () => {
    expect(expectSuccess(await run(["version"])).stdout).toStartWith("pug 0.1.0");
  });

  test("email preview: the mail templates are inside", async () => {
    const { stdout } = expectSuccess(await run(["email", "preview", "invitation", "--to", "lin@example.com"]));
    expect(stdout).toStartWith("To: lin@example.com\nSubject: grace@example.com invited you to Acme Analytics on Pug\n");
    expect(stdout).toContain("<!DOCTYPE html>");
    expect(stdout).toContain(">Accept the invitation</a>");
  });

  test("migrate applies the embedded migrations of all three stores", async () => {
    const result = expectSuccess(await run(["migrate"]));
    expect(result.stdout).toContain("postgres: applied 0001_orgs.sql");
    expect(result.stdout).toContain("clickhouse: applied 0001_events.sql");
    expect(result.stdout).toContain(`nats: created stream ${env.PUG_NATS_PREFIX}_events`);
  });

  test("doctor passes, and config shows the embedded defaults", async () => {
    const doctor = await run(["doctor"]);
    expect(doctor.stdout).toContain("all checks passed");
    expect(doctor.code).toBe(0);
    expect(expectSuccess(await run(["config"])).stdout).toContain("PUG_SERVER_PORT=8080  # default");
  });

  test("dev serves /readyz and stops on SIGTERM", async () => {
    const port = freePort();
    const dev = startPug(["dev"], { ...env, PUG_SERVER_PORT: String(port) }, { binary, cwd: elsewhere });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`);
    } finally {
      const code = await dev.stop();
      if (code !== 0) console.error(dev.output());
      expect(code).toBe(0);
    }
  });

  test("systemd install writes the embedded units pointing at this binary", async () => {
    const units = join(work, "units");
    expectSuccess(await run(["systemd", "install", "--dir", units]));
    expect(readFileSync(join(units, "pug-worker@.service"), "utf8")).toContain(`ExecStart=${binary} worker %i`);
  });
});
