import { readFileSync } from "node:fs";

/**
 * Where the kernel takes the local ports of outgoing connections from. A port handed out inside that range can be
 * taken by any of the tests' many connections (to ClickHouse, NATS, Postgres) before the process it is for binds
 * it, which then fails with EADDRINUSE (seen in CI: a worker's health listener); below it, only a listener can.
 */
const EPHEMERAL_FROM = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32_768;
const handedOut = new Set<number>();

/** A TCP port on loopback below the ephemeral range that nothing listens on right now, not handed out before. */
export function freePort(): number {
  const from = Math.max(1_024, EPHEMERAL_FROM - 12_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (EPHEMERAL_FROM - from));
    if (handedOut.has(port)) continue;
    try {
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    } catch (error) {
      // Someone listens on it already: try another.
      if ((error as { code?: string }).code === "EADDRINUSE") continue;
      throw error;
    }
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between ${from} and ${EPHEMERAL_FROM}`);
}

/** Polls `check` until it holds or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
