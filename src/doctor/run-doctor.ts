// `pug doctor`: every check, run against the configured systems, in a fixed order.

import type { App } from "../app/app.ts";
import type { CheckResult } from "./check.ts";
import { clickhouseChecks } from "./clickhouse-checks.ts";
import { controlPlaneChecks } from "./control-plane-checks.ts";
import { migrationChecks } from "./migration-checks.ts";
import { natsChecks } from "./nats-checks.ts";
import { oidcChecks } from "./oidc-checks.ts";
import { postgresChecks } from "./postgres-checks.ts";
import { redisChecks } from "./redis-checks.ts";
import { smtpChecks } from "./smtp-checks.ts";

export async function runDoctor(app: App, timeoutMs = 3_000): Promise<CheckResult[]> {
  const [postgres, clickhouse, nats, redis, smtp, oidc] = await Promise.all([
    postgresChecks(app, timeoutMs),
    clickhouseChecks(app, timeoutMs),
    natsChecks(app, timeoutMs),
    redisChecks(app, timeoutMs),
    smtpChecks(app, timeoutMs),
    oidcChecks(app, timeoutMs),
  ]);
  const usable = (checks: CheckResult[], name: string) => checks.find((c) => c.name === name)?.status === "ok";
  const migrations = await migrationChecks(app, {
    postgres: usable(postgres, "postgres authenticated"),
    clickhouse: usable(clickhouse, "clickhouse authenticated"),
    nats: usable(nats, "nats jetstream enabled"),
  });
  return [...postgres, ...clickhouse, ...nats, ...redis, ...migrations, ...smtp, ...controlPlaneChecks(app.config), ...oidc];
}

const marks = { ok: "✓", warn: "!", fail: "✗", skip: "–" };

export function formatReport(results: CheckResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const parts = [`${marks[r.status]} ${r.name.padEnd(width)}`];
    if (r.figure) parts.push(r.figure);
    if (r.message) parts.push(r.status === "ok" ? r.message : `— ${r.message}`);
    if (r.fix) parts.push(`— fix: ${r.fix}`);
    return parts.join("  ").trimEnd();
  });
  const failed = results.filter((r) => r.status === "fail").length;
  const warned = results.filter((r) => r.status === "warn").length;
  lines.push("", failed === 0 ? `all checks passed${warned ? ` (${warned} warning${warned > 1 ? "s" : ""})` : ""}` : `${failed} check${failed > 1 ? "s" : ""} failed`);
  return lines;
}
