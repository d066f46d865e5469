// Single-event load from wrk (Debian package `wrk`), with wrk-rotate.lua rotating over distinct bodies.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RotatingBody, writeBodiesFile } from "./ingest-bodies.ts";
import type { SingleLoadResult } from "./single-load.ts";

export const WRK_INSTALL_HINT = "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu package wrk); using the Bun load generator instead";

export const wrkPath = (): string | null => Bun.which("wrk");

interface WrkSummary {
  requests: number;
  durationUs: number;
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export async function wrkSingleLoad(wrk: string, url: string, apiKey: string, bodies: RotatingBody[], options: { connections: number; threads: number; seconds: number }): Promise<SingleLoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "pug-bench-wrk-"));
  try {
    const file = join(dir, "bodies.bin");
    writeBodiesFile(file, bodies);
    const proc = Bun.spawn(
      [wrk, "-t", String(options.threads), "-c", String(options.connections), "-d", `${options.seconds}s`, "--timeout", "10s", "-s", join(import.meta.dir, "wrk-rotate.lua"), url],
      { env: { ...process.env, PUG_WRK_BODIES: file, PUG_WRK_API_KEY: apiKey, PUG_WRK_THREADS: String(options.threads) }, stdout: "pipe", stderr: "pipe" },
    );
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const line = /^PUG_WRK (\{.*\})$/m.exec(stdout)?.[1];
    if (code !== 0 || !line) throw new Error(`wrk exited ${code} without its summary:\n${stdout}\n${stderr}`);
    const summary = JSON.parse(line) as WrkSummary;
    const usage = proc.resourceUsage();
    const errors = summary.status + summary.connect + summary.read + summary.write + summary.timeout;
    return {
      generator: `wrk -t${options.threads} -c${options.connections}`,
      requests: summary.requests,
      errors,
      errorDetail: errors ? `wrk errors: status ${summary.status}, connect ${summary.connect}, read ${summary.read}, write ${summary.write}, timeout ${summary.timeout}` : "",
      seconds: summary.durationUs / 1e6,
      p50Ms: summary.p50 / 1000,
      p95Ms: summary.p95 / 1000,
      p99Ms: summary.p99 / 1000,
      generatorCpuSeconds: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : NaN,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
