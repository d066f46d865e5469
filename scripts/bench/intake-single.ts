// Single-event intake alone: `pug server` (no worker) under wrk, each request a one-event SDK batch with its own
// event id, so every request is a new message for JetStream (no duplicate-window shortcut). Several source trees
// (e.g. a checkout of main and this one) are measured in turns, on the same stores, to compare them on a busy box.
//   bun scripts/bench/intake-single.ts [--roots /path/a,/path/b] [--seconds 10] [--connections 32] [--rounds 2] [--profile DIR] [--rate-limits]
// --profile DIR writes a CPU profile (markdown) of each server run into DIR; --rate-limits keeps the per-IP and
// per-project limits on (at limits never reached).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { partitionIndexOf } from "../../src/domain/ingest/event-partitions.ts";
import { ownStreams } from "../../src/infra/event-partition-streams.ts";
import { connectNats } from "../../src/infra/nats.ts";
import { freePort } from "../../test/support/ports.ts";
import { waitForHttp } from "../../test/support/pug-process.ts";
import { batchBody, CHROME_UA, sdkEvent } from "../../test/support/sdk-events.ts";
import { benchProject, benchStores, cpuSeconds } from "./bench-stores.ts";

if (!Bun.which("wrk")) {
  console.error("intake-single: wrk is not installed (apt-get install wrk)");
  process.exit(2);
}

const { values } = parseArgs({
  options: { roots: { type: "string", default: resolve(import.meta.dir, "../..") }, seconds: { type: "string", default: "10" }, connections: { type: "string", default: "32" }, rounds: { type: "string", default: "2" }, profile: { type: "string" }, "rate-limits": { type: "boolean", default: false } },
});
const roots = values.roots.split(",");
const stores = await benchStores(`pug_bench_intake_${process.pid}`);
// Limits of 0 skip the limiter; --rate-limits sets limits never reached, so each request is still counted.
const limited = values["rate-limits"];
const env = { ...stores.env, PUG_RATE_LIMIT_IP_RPS: limited ? "1000000" : "0", PUG_RATE_LIMIT_PROJECT_EPS: limited ? "100000000" : "0" };
const dir = mkdtempSync(join(tmpdir(), "pug-intake-"));
try {
  const project = await benchProject(env);
  const event = sdkEvent(project.projectId);
  writeFileSync(join(dir, "body.bin"), batchBody([event]));
  // The event id's last 12 hex digits are replaced per request (a UUIDv7 stays one, the same length): 6 for the run,
  // 6 counting its requests, so no two requests of any run share an event id or a JetStream msgID.
  const script = (run: number) =>
    `local f = io.open("${join(dir, "body.bin")}", "rb"); local body = f:read("*a"); f:close()
local id = "${event.eventId.slice(-12)}"
wrk.method = "POST"
wrk.headers["content-type"] = "application/proto"
wrk.headers["connect-protocol-version"] = "1"
wrk.headers["x-api-key"] = "${project.publicKey}"
wrk.headers["user-agent"] = "${CHROME_UA}"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, (body:gsub(id, string.format("%06x%06x", ${run}, n % 0x1000000), 1)))
end
`;
  let runs = Math.floor(Math.random() * 0xfff000);
  const wrk = (connections: string, seconds: string, url: string) => {
    writeFileSync(join(dir, "post.lua"), script(runs++));
    return Bun.spawnSync(["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", join(dir, "post.lua"), url]).stdout.toString();
  };
  const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
  // Messages in every events partition (a tree from before partitions has only `events`).
  const queued = async () => {
    let total = 0;
    for (const name of await ownStreams(nats)) if (partitionIndexOf(name) !== undefined) total += (await nats.jsm.streams.info(nats.names.stream(name))).state.messages;
    return total;
  };
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const root of roots) {
      const port = freePort();
      const server = Bun.spawn(["bun", ...(values.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${values.profile}`] : []), join(root, "src/main.ts"), "server"], {
        env: { ...process.env, ...env, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: `127.0.0.1:${freePort()}` },
        stdout: "ignore",
        stderr: "inherit",
      });
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitForHttp(`${url}/readyz`);
        wrk("8", "2", `${url}/sdk.events.v1.EventsService/BatchCreate`);
        const cpu = cpuSeconds(server.pid);
        const messagesBefore = await queued();
        const out = wrk(values.connections, values.seconds, `${url}/sdk.events.v1.EventsService/BatchCreate`);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
        const p = (q: string) => /(\d+)%\s+([\d.]+\w+)/g[Symbol.matchAll](out).find((m) => m[1] === q)?.[2];
        const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0";
        const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
        const cpuPerK = ((cpuSeconds(server.pid) - cpu) / requests) * 1000;
        const perMessage = requests / ((await queued()) - messagesBefore);
        console.log(`round ${round} ${root}: ${Math.round(rps).toLocaleString()} req/s, p50 ${p("50")}, p99 ${p("99")}, non-2xx ${non2xx}, server CPU ${cpuPerK.toFixed(3)} s per 1000 requests, ${perMessage.toFixed(1)} requests per queued message`);
      } finally {
        server.kill("SIGTERM");
        await server.exited;
      }
    }
  }
  await nats.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await stores.cleanup();
}
