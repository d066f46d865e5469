import type { App } from "../app/app.ts";
import { redactUrl } from "../config/redact.ts";
import { type CheckResult, errorText, fail, ms, ok, skip, timed, versionAtLeast, warn, withTimeout } from "./check.ts";

export async function postgresChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const where = redactUrl(app.config.postgres.url);
  const sql = app.postgres();
  try {
    const { value: rows, ms: latency } = await timed(() =>
      withTimeout(sql<{ version: string }[]>`SELECT current_setting('server_version') AS version`, timeoutMs, "postgres"),
    );
    const version = rows[0]!.version;
    // Measured on the open connection, so the round trip is short and symmetric enough to halve.
    const sent = Date.now();
    const [clock] = await sql<{ now: string }[]>`SELECT extract(epoch FROM clock_timestamp())::text AS now`;
    const skewMs = Number(clock!.now) * 1000 - (sent + Date.now()) / 2;
    return [
      ok("postgres reachable", ms(latency)),
      ok("postgres authenticated"),
      versionAtLeast(version, "15") ? ok("postgres version ≥ 15", version) : fail("postgres version ≥ 15", `server is ${version}`, "upgrade Postgres to 15 or newer", version),
      clockCheck(skewMs),
    ];
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (code === "28P01" || code === "28000") {
      return [
        ok("postgres reachable"),
        fail("postgres authenticated", errorText(error), `check the user and password in DATABASE_URL (${where})`),
        skip("postgres version ≥ 15", "not authenticated"),
        skip("clock skew vs postgres", "not authenticated"),
      ];
    }
    if (code === "3D000") {
      return [ok("postgres reachable"), ok("postgres authenticated"), fail("postgres database exists", errorText(error), "create it (createdb) or fix the database name in DATABASE_URL")];
    }
    return [
      fail("postgres reachable", errorText(error), `is Postgres running and reachable at ${where}? check DATABASE_URL`),
      skip("postgres authenticated", "unreachable"),
      skip("postgres version ≥ 15", "unreachable"),
      skip("clock skew vs postgres", "unreachable"),
    ];
  }
}

function clockCheck(skewMs: number): CheckResult {
  const figure = `${skewMs >= 0 ? "+" : ""}${Math.round(skewMs)} ms`;
  const fix = "synchronise the clocks (chrony or systemd-timesyncd on both hosts)";
  if (Math.abs(skewMs) > 30_000) return fail("clock skew vs postgres", "this host's clock is far off the database's: event times and sessions will be wrong", fix, figure);
  if (Math.abs(skewMs) > 1_000) return warn("clock skew vs postgres", "more than a second apart", fix, figure);
  return ok("clock skew vs postgres", figure);
}
