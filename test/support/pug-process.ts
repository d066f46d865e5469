// Runs the pug CLI as a real subprocess (from source, or a built binary) with a given environment.

import { resolve } from "node:path";
import { diesWithTestRun } from "./dies-with-test-run.ts";
import { waitFor } from "./ports.ts";
import { TEST_STREAM_LIMITS } from "./test-env.ts";

export const pugSource = resolve(import.meta.dir, "../../src/main.ts");

export interface PugResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a pug subprocess sees: only what is given, plus PATH/HOME, so nothing leaks from the test run.
 * The server's admin listener is off unless a test asks for it on a port of its own: its fixed default port
 * would make parallel runs (and a developer's `pug dev`) collide. Streams get the tests' small limits.
 */
export function pugEnv(env: Record<string, string | undefined>): Record<string, string> {
  const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", PUG_ENV_FILE: "/dev/null", PUG_SERVER_ADMIN_ADDR: "off", PUG_NATS_STREAM_LIMITS: TEST_STREAM_LIMITS };
  return Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

export function pugCommand(binary?: string, bunArgs: string[] = []): string[] {
  return [...diesWithTestRun, ...(binary ? [binary] : ["bun", ...bunArgs, pugSource])];
}

export async function runPug(args: string[], env: Record<string, string | undefined>, options: { binary?: string; cwd?: string } = {}): Promise<PugResult> {
  const proc = Bun.spawn([...pugCommand(options.binary), ...args], {
    env: pugEnv(env),
    cwd: options.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export interface RunningPug {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export function startPug(args: string[], env: Record<string, string | undefined>, options: { binary?: string; cwd?: string; bunArgs?: string[] } = {}): RunningPug {
  const proc = Bun.spawn([...pugCommand(options.binary, options.bunArgs), ...args], { env: pugEnv(env), cwd: options.cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  for (const stream of [proc.stdout, proc.stderr]) {
    void (async () => {
      for await (const chunk of stream) out += new TextDecoder().decode(chunk);
    })();
  }
  return {
    proc,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return await proc.exited;
    },
  };
}

export async function waitForHttp(url: string, status = 200, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${url} to answer ${status}`, async () => (await fetch(url)).status === status, timeoutMs);
}

/** Fails with the command's own output when it did not exit 0. */
export function expectSuccess(result: PugResult, what = "pug"): PugResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}
