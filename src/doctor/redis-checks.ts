import { RedisClient } from "bun";
import type { App } from "../app/app.ts";
import { redactUrl } from "../config/redact.ts";
import { type CheckResult, errorText, fail, ms, ok, skip, timed, versionAtLeast } from "./check.ts";

export async function redisChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const where = redactUrl(app.config.redis.url);
  // Its own client without reconnects: the product's retries forever, which is wrong for a one-shot check.
  const client = new RedisClient(app.config.redis.url, { connectionTimeout: timeoutMs, autoReconnect: false, enableOfflineQueue: false });
  try {
    let latency: number;
    try {
      await client.connect();
      ({ ms: latency } = await timed(() => client.ping()));
    } catch (error) {
      const text = (await authRefusal(app.config.redis.url, timeoutMs)) ?? errorText(error);
      if (/NOAUTH|WRONGPASS|invalid (username|password)|auth/i.test(text)) {
        return [ok("redis reachable"), fail("redis authenticated", text, `check the password in REDIS_URL (${where})`), skip("redis version ≥ 7", "not authenticated")];
      }
      return [fail("redis reachable", text, `is Redis running at ${where}? check REDIS_URL`), skip("redis authenticated", "unreachable"), skip("redis version ≥ 7", "unreachable")];
    }
    const info = String(await client.send("INFO", ["server"]));
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "unknown";
    return [
      ok("redis reachable", ms(latency)),
      ok("redis authenticated"),
      versionAtLeast(version, "7") ? ok("redis version ≥ 7", version) : fail("redis version ≥ 7", `server is ${version}`, "upgrade Redis to 7 or newer", version),
    ];
  } finally {
    client.close();
  }
}

/**
 * Bun's client reports a refused login only as "Connection closed". To tell the operator *why*, ask the server
 * directly: AUTH with the URL's credentials (or PING without any) and return its error line, if it refuses.
 */
async function authRefusal(url: string, timeoutMs: number): Promise<string | undefined> {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const command = password ? (user ? ["AUTH", user, password] : ["AUTH", password]) : ["PING"];
  const request = `*${command.length}\r\n` + command.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join("");
  let reply = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
      Bun.connect({
        hostname: parsed.hostname,
        port: Number(parsed.port || 6379),
        socket: {
          open: (socket) => void socket.write(request),
          data: (socket, data) => {
            reply += data.toString();
            if (reply.includes("\r\n")) {
              clearTimeout(timer);
              socket.end();
              resolve();
            }
          },
          error: (_socket, error) => reject(error),
        },
      }).catch(reject);
    });
  } catch {
    return undefined;
  }
  const line = reply.split("\r\n")[0]!;
  return line.startsWith("-") && /NOAUTH|WRONGPASS|AUTH/.test(line) ? line.slice(1) : undefined;
}
