import { ClickHouseError } from "@clickhouse/client";
import type { App } from "../app/app.ts";
import { redactUrl } from "../config/redact.ts";
import { createClickHouse } from "../infra/clickhouse.ts";
import { type CheckResult, errorText, fail, ms, ok, skip, timed, versionAtLeast, warn, withTimeout } from "./check.ts";

const GiB = 1024 ** 3;

export async function clickhouseChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const where = redactUrl(app.config.clickhouse.url);
  // `default` always exists, so a missing Pug database shows up as a pending migration, not as unreachable.
  const ch = createClickHouse({ url: app.config.clickhouse.url, database: "default", requestTimeoutMs: timeoutMs });
  try {
    const ping = await timed(() => ch.ping());
    if (!ping.value.success) {
      return [
        fail("clickhouse reachable", errorText(ping.value.error), `is ClickHouse running at ${where}? check CLICKHOUSE_URL`),
        ...["clickhouse authenticated", "clickhouse version ≥ 24", "clickhouse free disk"].map((name) => skip(name, "unreachable")),
      ];
    }
    const results = [ok("clickhouse reachable", ms(ping.ms))];
    let version: string;
    try {
      const result = await withTimeout(ch.query({ query: "SELECT version() AS version", format: "JSONEachRow" }), timeoutMs, "clickhouse");
      version = (await result.json<{ version: string }>())[0]!.version;
      results.push(ok("clickhouse authenticated"));
    } catch (error) {
      const auth = error instanceof ClickHouseError && ["516", "192", "193", "194"].includes(error.code);
      results.push(
        auth
          ? fail("clickhouse authenticated", errorText(error), `check the user and password in CLICKHOUSE_URL (${where})`)
          : fail("clickhouse authenticated", errorText(error), "see the ClickHouse server log"),
      );
      return [...results, skip("clickhouse version ≥ 24", "not authenticated"), skip("clickhouse free disk", "not authenticated")];
    }
    results.push(versionAtLeast(version, "24") ? ok("clickhouse version ≥ 24", version) : fail("clickhouse version ≥ 24", `server is ${version}`, "upgrade ClickHouse to 24.3 or newer", version));
    results.push(await diskCheck(ch));
    return results;
  } finally {
    await ch.close();
  }
}

async function diskCheck(ch: ReturnType<typeof createClickHouse>): Promise<CheckResult> {
  const result = await ch.query({ query: "SELECT name, free_space, total_space FROM system.disks", format: "JSONEachRow" });
  const disks = await result.json<{ name: string; free_space: string; total_space: string }>();
  const worst = disks.map((d) => ({ name: d.name, free: Number(d.free_space), total: Number(d.total_space) })).sort((a, b) => a.free - b.free)[0];
  if (!worst) return warn("clickhouse free disk", "system.disks lists no disk");
  const figure = `${(worst.free / GiB).toFixed(1)} GiB free of ${(worst.total / GiB).toFixed(1)} GiB (${worst.name})`;
  const fix = "free space or grow the ClickHouse data volume; inserts stop when it is full";
  if (worst.free < GiB) return fail("clickhouse free disk", "less than 1 GiB left", fix, figure);
  if (worst.free < 10 * GiB || worst.free / worst.total < 0.1) return warn("clickhouse free disk", "less than 10 GiB or 10% left", fix, figure);
  return ok("clickhouse free disk", figure);
}
