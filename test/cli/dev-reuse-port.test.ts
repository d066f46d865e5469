// Several `pug server` processes behind one address (the port shared with SO_REUSEPORT, PUG_SERVER_SHARE_PORT=on)
// and one events worker: one server killed with kill -9 under load, the SDK-like load retrying what failed → every
// accepted event is stored exactly once. Without the setting a second server on a port in use does not start.

import { expect, test } from "bun:test";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject } from "../../src/server/projects.ts";
import { freePort, waitFor } from "../support/ports.ts";
import { expectSuccess, runPug, startPug, waitForHttp } from "../support/pug-process.ts";
import { retryingLoad, storedEvents } from "../support/retrying-load.ts";
import { scratchEnv } from "../support/scratch.ts";

test("two pug server on one port: one killed mid-load, every accepted event stored once", async () => {
  const env = await scratchEnv("reuse_port");
  expectSuccess(await runPug(["migrate"], env));
  const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
  const project = await createProject(sql, "reuse port").finally(() => sql.end());
  const port = freePort();
  const serverEnv = { ...env, PUG_SERVER_PORT: String(port), PUG_SERVER_SHARE_PORT: "on", PUG_RATE_LIMIT_IP_RPS: "0" };
  const servers = [startPug(["server"], serverEnv), startPug(["server"], serverEnv)];
  const worker = startPug(["worker", "events"], { ...env, PUG_WORKER_HEALTH_ADDR: "off" });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor("both servers listening", () => servers.every((s) => s.output().includes('"msg":"listening"')));
    await waitForHttp(`${base}/readyz`);
    const load = retryingLoad(base, project.projectId, project.publicKey, { concurrency: 8 });
    await waitFor("load under way", () => load.accepted.length >= 3_000, 60_000);
    servers[0]!.proc.kill("SIGKILL");
    const atKill = load.accepted.length;
    await waitFor("the other server to carry the load", () => load.accepted.length >= atKill + 3_000, 60_000);
    load.stop();
    await load.done;
    await waitFor("every accepted event stored", async () => (await storedEvents(env)).rows >= load.accepted.length, 60_000);
    await Bun.sleep(1_000);
    expect(await storedEvents(env)).toEqual({ rows: load.accepted.length, ids: load.accepted.length });
    expect(new Set(load.accepted).size).toBe(load.accepted.length);
  } finally {
    expect(await servers[1]!.stop()).toBe(0);
    await servers[0]!.stop();
    expect(await worker.stop()).toBe(0);
  }
}, 240_000);

test("without PUG_SERVER_SHARE_PORT a second pug server cannot bind a port in use: it says so and retries", async () => {
  const env = await scratchEnv("own_port");
  expectSuccess(await runPug(["migrate"], env));
  const port = freePort();
  const serverEnv = { ...env, PUG_SERVER_PORT: String(port) };
  const first = startPug(["server"], serverEnv);
  await waitForHttp(`http://127.0.0.1:${port}/readyz`);
  const second = startPug(["server"], serverEnv);
  try {
    await waitFor("the second server to report the port in use twice", () => second.output().split("EADDRINUSE").length > 2, 20_000);
    expect(second.output()).not.toContain('"msg":"listening"');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  } finally {
    expect(await second.stop()).toBe(0);
    expect(await first.stop()).toBe(0);
  }
}, 60_000);
