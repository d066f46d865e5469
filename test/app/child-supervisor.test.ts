// The child supervisor with stand-in programs instead of pug: restart on unexpected exits, give up on a child
// that never starts, stop in tiers.

import { describe, expect, test } from "bun:test";
import { superviseChildren } from "../../src/app/child-supervisor.ts";
import { createMetrics } from "../../src/app/metrics.ts";
import { createLogger } from "../../src/logger.ts";

const lines: string[] = [];
const log = createLogger({ write: (line) => lines.push(line) });
const options = (command: string[]) => ({ command, envFile: undefined, log, metrics: createMetrics(), backoff: { baseMs: 20, maxMs: 50 }, onMessage: () => {} });

describe("superviseChildren", () => {
  test("a child that exits before its roles start, again and again, makes the unit give up", async () => {
    const supervisor = superviseChildren([{ name: "broken-1", roles: ["server"], stopTier: 0 }], options(["bun", "-e", "process.exit(3)"]));
    expect(await Promise.race([supervisor.gaveUp, Bun.sleep(20_000).then(() => "still looping")])).toBe("broken-1 exited 3 times in a row before its roles started (last exit code 3)");
    expect(lines.filter((l) => l.includes('"msg":"child exited unexpectedly; restarting"'))).toHaveLength(2);
    expect(await supervisor.stop(1_000)).toBe(true);
  });

  test("stop asks servers first, then workers, and kills a child that outlives the grace period", async () => {
    // Answers "stop" by exiting, after a delay given per process; a child ignoring SIGTERM and IPC stands in for a stuck one.
    const script = `process.on("message", (m) => { if (m.type === "stop") setTimeout(() => { console.log(JSON.stringify({ msg: "exiting", name: process.argv.at(-3) })); process.exit(0); }, process.argv.at(-3) === "stuck-1" ? 60000 : 50); }); process.send({ type: "ready" }); setInterval(() => {}, 1000);`;
    const supervisor = superviseChildren(
      [
        { name: "worker-1", roles: ["events"], stopTier: 1 },
        { name: "server-1", roles: ["server"], stopTier: 0 },
        { name: "stuck-1", roles: ["events"], stopTier: 1 },
      ],
      options(["bun", "-e", script]),
    );
    while (supervisor.running().size < 3) await Bun.sleep(20);
    const started = Date.now();
    expect(await supervisor.stop(1_500)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(supervisor.running().size).toBe(0);
  });
});
