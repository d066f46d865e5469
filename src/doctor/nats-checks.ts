// `pug doctor`'s NATS part: every server in NATS_URL is asked on its own (so a cluster with one node down says
// so, instead of "unreachable"), then JetStream, its streams with their replicas, and the consumers.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { App } from "../app/app.ts";
import { redactUrl } from "../config/redact.ts";
import { type NatsServers, parseNatsServers } from "../domain/nats-servers.ts";
import { type CheckResult, errorText, fail, ms, ok, skip, timed, versionAtLeast, warn } from "./check.ts";
import { JETSTREAM_SILENT_FIX, jetStreamErrorText, natsStreamChecks } from "./nats-stream-checks.ts";

const later = ["nats version ≥ 2.10", "nats jetstream enabled", "nats streams", "nats stream replicas", "nats consumers"];

type Probe = { server: string; connection: NatsConnection; ms: number } | { server: string; error: unknown; refusedLogin: boolean };

export async function natsChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const where = redactUrl(app.config.nats.url);
  let parsed: NatsServers;
  try {
    parsed = parseNatsServers(app.config.nats.url);
  } catch (error) {
    return [fail("nats reachable", errorText(error), "fix NATS_URL: nats://host:4222, comma-separated for a cluster"), ...["nats authenticated", ...later].map((n) => skip(n, "NATS_URL unusable"))];
  }
  const { servers, ...credentials } = parsed;
  // Its own short-lived connections: the product's reconnects forever, which is wrong for a one-shot check.
  const probes = await Promise.all(servers.map(async (server): Promise<Probe> => {
    try {
      const { value, ms } = await timed(() => connect({ servers: server, ...credentials, timeout: timeoutMs, reconnect: false, name: "pug doctor" }));
      return { server, connection: value, ms };
    } catch (error) {
      return { server, error, refusedLogin: /authori[sz]ation|authentication|user/i.test(errorText(error)) };
    }
  }));
  const connected = probes.filter((p) => "connection" in p);
  const [chosen, ...spare] = connected;
  await Promise.all(spare.map((p) => p.connection.close()));
  try {
    return [...reachChecks(probes, where), ...(chosen ? await serverChecks(app, chosen.connection, timeoutMs) : [])];
  } finally {
    await chosen?.connection.close();
  }
}

function reachChecks(probes: Probe[], where: string): CheckResult[] {
  const answered = probes.filter((p) => "connection" in p || p.refusedLogin);
  const silent = probes.filter((p) => "error" in p && !p.refusedLogin);
  const refused = probes.find((p) => "error" in p && p.refusedLogin);
  const fastest = Math.min(...probes.map((p) => ("ms" in p ? p.ms : Infinity)));
  const figure = `${answered.length} of ${probes.length} server${probes.length > 1 ? "s" : ""} answered${Number.isFinite(fastest) ? `, ${ms(fastest)}` : ""}`;
  const silentText = silent.map((p) => `${p.server}: ${"error" in p ? errorText(p.error) : ""}`).join("; ");
  if (answered.length === 0) {
    return [fail("nats reachable", silentText, `is nats-server running at ${where}? check NATS_URL`, figure), skip("nats authenticated", "unreachable"), ...later.map((n) => skip(n, "unreachable"))];
  }
  const reach = silent.length === 0
    ? ok("nats reachable", figure)
    : warn("nats reachable", `no answer from ${silentText}`, `start nats-server there, or remove it from NATS_URL; the others carry the load meanwhile`, figure);
  if (refused && "error" in refused) {
    return [reach, fail("nats authenticated", errorText(refused.error), `check the credentials in NATS_URL (${where})`), ...later.map((n) => skip(n, "not authenticated"))];
  }
  return [reach, ok("nats authenticated")];
}

async function serverChecks(app: App, connection: NatsConnection, timeoutMs: number): Promise<CheckResult[]> {
  const version = connection.info?.version ?? "unknown";
  const results = [
    versionAtLeast(version, "2.10")
      ? ok("nats version ≥ 2.10", version)
      : versionAtLeast(version, "2.9")
        ? warn("nats version ≥ 2.10", `server is ${version}: works, but 2.10+ is what Pug is built for`, "upgrade nats-server to 2.10 or newer", version)
        : fail("nats version ≥ 2.10", `server is ${version}`, "upgrade nats-server to 2.10 or newer", version),
  ];
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(connection, { timeout: timeoutMs });
    await jsm.getAccountInfo();
    results.push(ok("nats jetstream enabled"));
  } catch (error) {
    // The client's JetStreamNotEnabled (not exported): no responder for the JetStream API, or error 10039.
    const off = error instanceof Error && error.name === "JetStreamNotEnabled";
    const fix = off ? "start nats-server with JetStream on (-js, or `jetstream {}` in its config) and a store directory" : JETSTREAM_SILENT_FIX;
    results.push(fail("nats jetstream enabled", jetStreamErrorText(error, timeoutMs), fix));
    const why = off ? "JetStream is off" : "JetStream did not answer";
    return [...results, skip("nats streams", why), skip("nats stream replicas", why), skip("nats consumers", why)];
  }
  return [...results, ...(await natsStreamChecks(app, jsm, Boolean(connection.info?.cluster), timeoutMs))];
}
