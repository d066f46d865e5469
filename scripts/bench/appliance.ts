// Appliance figures: binary size, time from exec to /readyz = 200 (median of 10), idle RSS of `pug dev` and of
// each role alone. Uses its own database, ClickHouse database and NATS prefix on the dev infrastructure, and
// removes them afterwards.   bun scripts/bench/appliance.ts [--runs 10]

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../test/support/ports.ts";
import { expectSuccess, runPug, startPug, waitForHttp } from "../../test/support/pug-process.ts";
import { benchStores } from "./bench-stores.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Number(values.runs);
const root = resolve(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "pug-bench-"));
const binary = join(work, "pug");
const stores = await benchStores(`pug_bench_${process.pid}`);
const env = stores.env;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

try {
  const build = Bun.spawnSync(["scripts/build", "--outfile", binary], { cwd: root, stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
  console.log(`binary size: ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB (${binary})`);

  expectSuccess(await runPug(["migrate"], env, { binary }));

  for (const command of [["server"], ["dev"]]) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const port = freePort();
      const started = performance.now();
      const proc = startPug(command, { ...env, PUG_SERVER_PORT: String(port) }, { binary });
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 200, 10_000);
      times.push(performance.now() - started);
      await proc.stop();
    }
    console.log(`exec → /readyz 200, pug ${command.join(" ")}: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms over ${runs} runs`);
  }

  const idle = async (args: string[], url: (port: number) => string) => {
    const port = freePort();
    const proc = startPug(args, { ...env, PUG_SERVER_PORT: String(port), PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${port}` }, { binary });
    const offset = { events: 0, profile: 1, email: 2, scheduler: 3 }[args[1] as "events"] ?? 0;
    await waitForHttp(url(port + offset), 200, 10_000);
    await Bun.sleep(3_000);
    const rss = rssMb(proc.proc.pid);
    await proc.stop();
    console.log(`idle RSS, pug ${args.join(" ")}: ${rss.toFixed(0)} MB`);
  };
  await idle(["dev"], (p) => `http://127.0.0.1:${p}/readyz`);
  await idle(["server"], (p) => `http://127.0.0.1:${p}/readyz`);
  for (const role of ["events", "profile", "email", "scheduler"]) await idle(["worker", role], (p) => `http://127.0.0.1:${p}/healthz`);
} finally {
  await stores.cleanup();
  rmSync(work, { recursive: true, force: true });
}
