// Private NATS and Redis servers on spare ports, for tests that need a server configured differently from the
// shared one (credentials, JetStream off) or one they may stop. Never the shared servers.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./ports.ts";

export interface PrivateServer {
  port: number;
  url: string;
  /** Stops the server for good and removes its data. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data, so `resume` brings it back as it was. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

async function launch(command: string[], port: number, url: string, dir: string): Promise<PrivateServer> {
  const spawn = async () => {
    const proc = Bun.spawn(command, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    await waitFor(`${command[0]} on port ${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`${command[0]} exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return true;
    });
    return proc;
  };
  let proc = await spawn();
  const halt = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
  };
  return {
    port,
    url,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    pause: halt,
    async resume() {
      proc = await spawn();
    },
  };
}

export async function startNats(options: { jetstream?: boolean; user?: string; password?: string } = {}): Promise<PrivateServer> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "pug-nats-"));
  const args = ["nats-server", "-a", "127.0.0.1", "-p", String(port)];
  if (options.jetstream !== false) args.push("-js", "-sd", dir);
  if (options.user) args.push("--user", options.user, "--pass", options.password ?? "");
  return launch(args, port, `nats://127.0.0.1:${port}`, dir);
}

export async function startRedis(options: { password?: string } = {}): Promise<PrivateServer> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "pug-redis-"));
  const args = ["redis-server", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir];
  if (options.password) args.push("--requirepass", options.password);
  return launch(args, port, `redis://127.0.0.1:${port}`, dir);
}
