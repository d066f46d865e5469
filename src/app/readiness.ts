// Readiness: can this process do its work right now? Intake needs Postgres (API keys) and NATS (the queue);
// ClickHouse and Redis are reported too, but a server without them still accepts events without losing any.

import { withTimeout } from "../domain/backoff.ts";
import type { App } from "./app.ts";

export type Dependency = "postgres" | "clickhouse" | "redis" | "nats";
export type DependencyState = "ok" | "unavailable";

export interface Readiness {
  ready: boolean;
  dependencies: Record<Dependency, DependencyState>;
}

const required: Dependency[] = ["postgres", "nats"];

export async function checkReadiness(app: App, timeoutMs = 1_000): Promise<Readiness> {
  const probes: Record<Dependency, () => Promise<unknown>> = {
    postgres: () => app.postgres()`SELECT 1`,
    clickhouse: async () => {
      const result = await app.clickhouse().ping();
      if (!result.success) throw result.error;
    },
    redis: async () => {
      const redis = app.redis();
      await redis.connect();
      await redis.client.ping();
    },
    nats: async () => (await app.nats()).connection.flush(),
  };
  const entries = await Promise.all(
    (Object.keys(probes) as Dependency[]).map(async (name) => {
      const state: DependencyState = await withTimeout(probes[name](), timeoutMs, name).then(() => "ok", () => "unavailable");
      return [name, state] as const;
    }),
  );
  const dependencies = Object.fromEntries(entries) as Record<Dependency, DependencyState>;
  return { ready: required.every((name) => dependencies[name] === "ok"), dependencies };
}
