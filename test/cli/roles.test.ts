// The long-running commands as processes: health, readiness, metrics, crash recovery and clean stops.

import { beforeAll, describe, expect, test } from "bun:test";
import { freePort, waitFor } from "../support/ports.ts";
import { startNats } from "../support/private-servers.ts";
import { expectSuccess, runPug, startPug, waitForHttp } from "../support/pug-process.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";

let env: ScratchEnv;
beforeAll(async () => {
  env = await scratchEnv("roles");
  expectSuccess(await runPug(["migrate"], env));
});

describe("pug dev", () => {
  test("serves health, readiness and metrics for every role, and stops cleanly on SIGTERM", async () => {
    const port = freePort();
    const adminPort = freePort();
    const dev = startPug(["dev"], { ...env, PUG_SERVER_PORT: String(port), PUG_SERVER_ADMIN_ADDR: `127.0.0.1:${adminPort}` });
    const base = `http://127.0.0.1:${port}`;
    const admin = `http://127.0.0.1:${adminPort}`;
    try {
      await waitForHttp(`${base}/readyz`);
      // The address actually bound: every interface, as PUG_SERVER_HOST defaults to 0.0.0.0.
      expect(dev.output()).toContain(`pug dev: listening on http://0.0.0.0:${port} (health: http://0.0.0.0:${port}/readyz, metrics: ${admin}/metrics)`);
      for (const path of ["/healthz", "/health"]) {
        const response = await fetch(base + path);
        expect([path, response.status, await response.text()]).toEqual([path, 200, "ok"]);
      }
      const ready = await (await fetch(`${base}/readyz`)).json();
      expect(ready).toEqual({ ready: true, dependencies: { postgres: "ok", clickhouse: "ok", redis: "ok", nats: "ok" } });

      // The email worker has no SMTP here: it says so instead of binding its consumer.
      await waitFor("every worker to bind its consumer", () => (dev.output().match(/"msg":"consumer bound"/g) ?? []).length === 2 && dev.output().includes("PUG_SMTP_URL is not set"));
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${admin}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      for (const [role, process] of [["server", "server-1"], ["events", "events-1"], ["profile", "light-1"], ["email", "light-1"], ["scheduler", "light-1"]]) expect(metrics).toContain(`pug_role_up{role="${role}",process="${process}"} 1`);
      expect(metrics).toContain('pug_http_requests_total{method="GET",route="/readyz",status="200"}');
      expect(metrics).toContain(`pug_nats_consumer_pending{stream="${env.PUG_NATS_PREFIX}_events",consumer="events-worker"} 0`);
      expect(metrics).toMatch(/pug_clickhouse_disk_free_bytes\{disk="default"\} \d+/);
      for (const line of dev.output().trim().split("\n").filter((l) => l.startsWith("{"))) {
        expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(["time", "level", "role"]);
      }
    } finally {
      expect(await dev.stop("SIGTERM")).toBe(0);
    }
    expect(dev.output()).toContain('"msg":"stopped"');
    expect(await fetch(`${base}/healthz`).then(() => "answered", () => "closed")).toBe("closed");
  });

  test("readiness turns 503 naming NATS when the queue is gone, while liveness stays 200", async () => {
    const nats = await startNats();
    const scratch = await scratchEnv("roles_nats");
    const withNats = { ...scratch, NATS_URL: nats.url };
    expectSuccess(await runPug(["migrate"], withNats));
    const port = freePort();
    const server = startPug(["server"], { ...withNats, PUG_SERVER_PORT: String(port) });
    const readyz = `http://127.0.0.1:${port}/readyz`;
    try {
      await waitForHttp(readyz);
      await nats.stop();
      await waitForHttp(readyz, 503);
      const body = await (await fetch(readyz)).json();
      expect(body).toMatchObject({ ready: false, dependencies: { nats: "unavailable", postgres: "ok" } });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("pug worker", () => {
  test("a worker whose consumer is missing keeps restarting with backoff, then runs once it appears", async () => {
    const scratch = await scratchEnv("roles_worker");
    // Postgres is ready (the profile role's writer and erasure sweep need its tables); only the consumer is missing.
    expectSuccess(await runPug(["postgres", "migrate"], scratch));
    const healthPort = freePort();
    const worker = startPug(["worker", "profile"], { ...scratch, PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${healthPort - 1}`, PUG_RESTART_BACKOFF_MAX_MS: "300" });
    const metricsUrl = `http://127.0.0.1:${healthPort}/metrics`;
    try {
      await waitFor("a restart to be counted", async () => /pug_role_restarts_total\{role="profile"\} [2-9]/.test(await (await fetch(metricsUrl)).text()));
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
      expect(worker.output()).toContain("run `pug nats migrate`");

      expectSuccess(await runPug(["nats", "migrate"], scratch));
      await waitFor("the role to come up", async () => (await (await fetch(metricsUrl)).text()).includes('pug_role_up{role="profile"} 1'));
      // The role counts as up when it starts; it binds its consumers a moment later.
      await waitFor("the consumer bound", async () => worker.output().includes('"msg":"consumer bound"'), 10_000);
    } finally {
      expect(await worker.stop("SIGINT")).toBe(0);
    }
  });
});
