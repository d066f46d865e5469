// A private ClickHouse dev server in a child process, on a spare port with its own data directory, for tests
// that stop, restart or misconfigure a server. The shared one is never touched.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { diesWithTestRun } from "./dies-with-test-run.ts";
import { freePort, waitFor } from "./ports.ts";

const mainScript = resolve(import.meta.dir, "../../scripts/lib/clickhouse-dev/main.ts");

export interface DevServerProcess {
  url: string;
  port: number;
  dataDir: string;
  proc: Bun.Subprocess;
  output(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Starts the server again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops the server if running and deletes its data directory. */
  dispose(): Promise<void>;
}

export async function startDevServer(options: { password?: string; graceMs?: number } = {}): Promise<DevServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "pug-chdev-"));
  const port = freePort();
  let out = "";
  let proc!: Bun.Subprocess<"ignore", "pipe", "pipe">;

  const launch = async () => {
    proc = Bun.spawn([...diesWithTestRun, "bun", mainScript, "--port", String(port), "--data", dataDir, "--password", options.password ?? ""], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CLICKHOUSE_DEV_GRACE_MS: String(options.graceMs ?? 10_000) },
    });
    for (const stream of [proc.stdout, proc.stderr]) {
      void (async () => {
        for await (const chunk of stream) out += new TextDecoder().decode(chunk);
      })();
    }
    await waitFor(`clickhouse-dev on port ${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`clickhouse-dev exited with ${proc.exitCode}: ${out}`);
      return (await fetch(`http://127.0.0.1:${port}/ping`)).ok;
    });
  };
  await launch();

  const server: DevServerProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    get proc() {
      return proc;
    },
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return await proc.exited;
    },
    restart: launch,
    async dispose() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
