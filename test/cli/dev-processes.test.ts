// `pug dev` as a unit of child processes: the expected children, events stored through them, a killed child
// restarted while ingestion goes on, and no process left behind by SIGTERM or by the parent's kill -9.

import { beforeAll, describe, expect, test } from "bun:test";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createProject } from "../../src/server/projects.ts";
import { freePort, waitFor } from "../support/ports.ts";
import { expectSuccess, runPug, startPug, waitForHttp } from "../support/pug-process.ts";
import { retryingLoad, storedEvents } from "../support/retrying-load.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";

/** Events per request of the load. */
const BATCH = 50;

let env: ScratchEnv;
let project: { projectId: string; publicKey: string };
beforeAll(async () => {
  env = await scratchEnv("dev_processes");
  expectSuccess(await runPug(["migrate"], env));
  const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
  try {
    project = await createProject(sql, "dev processes");
  } finally {
    await sql.end();
  }
});

/** The child processes of `pid` with their command lines. */
function childrenOf(pid: number): { pid: number; args: string }[] {
  const out = Bun.spawnSync(["ps", "-o", "pid=,args=", "--ppid", String(pid)]).stdout.toString().trim();
  return out ? out.split("\n").map((line) => ({ pid: Number(line.trim().split(/\s+/)[0]), args: line.trim().replace(/^\d+\s+/, "") })) : [];
}
const alive = (pid: number) => Bun.spawnSync(["kill", "-0", String(pid)]).exitCode === 0;
const childNames = (pid: number) => childrenOf(pid).map((c) => /--child (\S+)/.exec(c.args)?.[1]).sort();

describe("pug dev with child processes", () => {
  test("runs the planned children, stores events through them, restarts a killed child, and leaves nothing behind on SIGTERM", async () => {
    const port = freePort();
    const adminPort = freePort();
    const dev = startPug(["dev"], { ...env, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: `127.0.0.1:${adminPort}`, PUG_DEV_PROCESSES: "server=2,events=1", PUG_RESTART_BACKOFF_MAX_MS: "500", PUG_RATE_LIMIT_IP_RPS: "0", PUG_RATE_LIMIT_PROJECT_EPS: "0" });
    const base = `http://127.0.0.1:${port}`;
    let children: { pid: number; args: string }[] = [];
    try {
      await waitForHttp(`${base}/readyz`);
      await waitFor("every child to start", () => childNames(dev.proc.pid).length === 4);
      expect(childNames(dev.proc.pid)).toEqual(["events-1", "light-1", "server-1", "server-2"]);
      children = childrenOf(dev.proc.pid);

      const load = retryingLoad(base, project.projectId, project.publicKey, { concurrency: 4, batch: BATCH });
      await waitFor("events accepted", () => load.accepted.length >= 2_000, 60_000);
      const events = children.find((c) => c.args.includes("--child events-1"))!;
      const server = children.find((c) => c.args.includes("--child server-1"))!;
      process.kill(events.pid, "SIGKILL");
      process.kill(server.pid, "SIGKILL");
      await waitFor("the killed children restarted", () => childrenOf(dev.proc.pid).filter((c) => c.pid !== events.pid && c.pid !== server.pid).length === 4, 30_000);
      const acceptedAtRestart = load.accepted.length;
      await waitFor("ingestion to go on", () => load.accepted.length >= acceptedAtRestart + 2_000, 60_000);
      load.stop();
      await load.done;
      await waitFor("every accepted event stored", async () => (await storedEvents(env)).ids >= load.accepted.length, 60_000);
      await Bun.sleep(1_000);
      const stored = await storedEvents(env);
      expect(stored.ids).toBe(load.accepted.length);
      // The server and the worker die together: a batch retried after its first attempt was queued can be stored
      // twice when the restarted worker reads that first attempt's message (delivered to the dead one) after the
      // retry's (src/domain/ingest/recent-requests.ts: a repeat, never a loss). Only retried batches, whole.
      const repeated = stored.rows - stored.ids;
      expect(repeated % BATCH).toBe(0);
      expect(repeated).toBeLessThanOrEqual(BATCH * load.retries);

      expect(dev.output()).toMatch(/"process":"events-1".*"msg":"child exited unexpectedly; restarting"/);
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toContain('pug_dev_process_restarts_total{process="events-1"} 1');
      expect(metrics).toMatch(/pug_writer_insert_seconds_count\{table="events"\} [1-9]/);
      children = childrenOf(dev.proc.pid);
    } finally {
      expect(await dev.stop("SIGTERM")).toBe(0);
    }
    expect(children.filter((c) => alive(c.pid))).toEqual([]);
    // Servers stop before workers; every child's log line comes through the parent as JSON with its process.
    const out = dev.output();
    expect(out.indexOf('"process":"server-2","msg":"stopped"')).toBeLessThan(out.indexOf('"process":"events-1","msg":"stopped"'));
    expect(out).toContain('"role":"dev","msg":"stopped"');
  }, 240_000);

  test("the parent killed with kill -9 leaves no child behind", async () => {
    const dev = startPug(["dev"], { ...env, PUG_SERVER_PORT: String(freePort()), PUG_DEV_PROCESSES: "server=1,events=1" });
    await waitFor("every child to start", () => childNames(dev.proc.pid).length === 3 && dev.output().includes("pug dev: listening"));
    const children = childrenOf(dev.proc.pid);
    dev.proc.kill("SIGKILL");
    await dev.proc.exited;
    await waitFor("the children to stop by themselves", () => children.every((c) => !alive(c.pid)), 10_000);
  }, 120_000);
});
