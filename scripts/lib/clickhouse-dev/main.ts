// A ClickHouse-HTTP-compatible server on chDB, for development and tests only: production runs real ClickHouse.
// Usage: scripts/clickhouse-dev [--host H] [--port P] [--data DIR] [--user U] [--password P]

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "../../../src/logger.ts";
import { Engine } from "./engine.ts";
import { createHandler } from "./http-handler.ts";
import { Spool } from "./request-body.ts";
import { SessionRegistry } from "./sessions.ts";

const usage = `usage: scripts/clickhouse-dev [--host 127.0.0.1] [--port 8123] [--data .data/clickhouse] [--user default] [--password ""]
Environment: CLICKHOUSE_DEV_HOST, CLICKHOUSE_DEV_PORT, CLICKHOUSE_DEV_DATA, CLICKHOUSE_DEV_USER, CLICKHOUSE_DEV_PASSWORD,
CLICKHOUSE_DEV_LOG_LEVEL (debug|info|warn|error), CLICKHOUSE_DEV_GRACE_MS (default 10000).`;

function readOptions() {
  const env = process.env;
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        host: { type: "string", default: env.CLICKHOUSE_DEV_HOST ?? "127.0.0.1" },
        port: { type: "string", default: env.CLICKHOUSE_DEV_PORT ?? "8123" },
        data: { type: "string", default: env.CLICKHOUSE_DEV_DATA ?? ".data/clickhouse" },
        user: { type: "string", default: env.CLICKHOUSE_DEV_USER ?? "default" },
        password: { type: "string", default: env.CLICKHOUSE_DEV_PASSWORD ?? "" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`clickhouse-dev: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(usage);
    process.exit(0);
  }
  const port = Number(parsed.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`clickhouse-dev: --port must be a TCP port (0-65535), got '${parsed.port}'\n${usage}`);
    process.exit(2);
  }
  const graceMs = Number(env.CLICKHOUSE_DEV_GRACE_MS ?? 10_000);
  return { ...parsed, port, dataDir: resolve(parsed.data), graceMs };
}

const options = readOptions();
const level = (process.env.CLICKHOUSE_DEV_LOG_LEVEL ?? "info") as "debug" | "info" | "warn" | "error";
const log = createLogger({ level, fields: { role: "clickhouse-dev" } });

mkdirSync(options.dataDir, { recursive: true });
const engine = await Engine.open(options.dataDir);
const sessions = new SessionRegistry(() => engine.connect());
// Beside the engine's own files, so that removing the data directory removes any leftovers too.
const spool = Spool.create(join(options.dataDir, "http-spool"));
let stopping = false;

const handler = createHandler({
  engine,
  sessions,
  spool,
  credentials: { user: options.user, password: options.password },
  log,
  isStopping: () => stopping,
});

const server = Bun.serve({
  hostname: options.host,
  port: options.port,
  maxRequestBodySize: 1024 ** 3,
  idleTimeout: 0,
  fetch: handler,
});

log.info("listening", { url: `http://${server.hostname}:${server.port}`, data: options.dataDir, engine: engine.version });

async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("stopping", { signal });
  handler.endStreams();
  const idle = (async () => {
    await server.stop(false);
    await engine.close();
  })();
  const timedOut = await Promise.race([
    idle.then(() => false),
    Bun.sleep(options.graceMs).then(() => true),
  ]);
  if (timedOut) {
    log.warn("in-flight queries did not finish within the grace period; closing connections", { grace_ms: options.graceMs });
    server.stop(true);
  }
  sessions.closeAll();
  spool.close();
  log.info("stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
