import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { App } from "../app/app.ts";
import { redactUrl } from "../config/redact.ts";
import { natsDeclarations } from "../domain/migrations/nats-declarations.ts";
import { shippedMigrations } from "../migrate/run-migrations.ts";
import { type CheckResult, errorText, fail, ms, ok, skip, timed, versionAtLeast, warn } from "./check.ts";

const later = ["nats version ≥ 2.10", "nats jetstream enabled", "nats streams", "nats consumers"];

export async function natsChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const where = redactUrl(app.config.nats.url);
  let connection: NatsConnection;
  let latency: number;
  try {
    // Its own short-lived connection: the product's reconnects forever, which is wrong for a one-shot check.
    ({ value: connection, ms: latency } = await timed(() => connect({ servers: app.config.nats.url, timeout: timeoutMs, reconnect: false, name: "pug doctor" })));
  } catch (error) {
    const text = errorText(error);
    if (/authori[sz]ation|authentication|user/i.test(text)) {
      return [ok("nats reachable"), fail("nats authenticated", text, `check the credentials in NATS_URL (${where})`), ...later.map((n) => skip(n, "not authenticated"))];
    }
    return [fail("nats reachable", text, `is nats-server running at ${where}? check NATS_URL`), skip("nats authenticated", "unreachable"), ...later.map((n) => skip(n, "unreachable"))];
  }
  try {
    const results = [ok("nats reachable", ms(latency)), ok("nats authenticated")];
    const version = connection.info?.version ?? "unknown";
    results.push(
      versionAtLeast(version, "2.10")
        ? ok("nats version ≥ 2.10", version)
        : versionAtLeast(version, "2.9")
          ? warn("nats version ≥ 2.10", `server is ${version}: works, but 2.10+ is what Pug is built for`, "upgrade nats-server to 2.10 or newer", version)
          : fail("nats version ≥ 2.10", `server is ${version}`, "upgrade nats-server to 2.10 or newer", version),
    );
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(connection, { timeout: timeoutMs });
      await jsm.getAccountInfo();
      results.push(ok("nats jetstream enabled"));
    } catch (error) {
      results.push(fail("nats jetstream enabled", errorText(error), "start nats-server with JetStream on (-js, or `jetstream {}` in its config) and a store directory"));
      return [...results, skip("nats streams", "JetStream is off"), skip("nats consumers", "JetStream is off")];
    }
    return [...results, ...(await streamChecks(app, jsm))];
  } finally {
    await connection.close();
  }
}

async function streamChecks(app: App, jsm: JetStreamManager): Promise<CheckResult[]> {
  const { prefix, replicas } = app.config.nats;
  const declared = natsDeclarations(await shippedMigrations("nats"), prefix, replicas);
  const missingStreams: string[] = [];
  for (const stream of declared.streams) {
    await jsm.streams.info(stream.name).catch(() => missingStreams.push(stream.name));
  }
  const missingConsumers: string[] = [];
  const pending: string[] = [];
  for (const consumer of declared.consumers) {
    try {
      const info = await jsm.consumers.info(consumer.stream, consumer.durable_name);
      pending.push(`${consumer.durable_name} ${info.num_pending + info.num_ack_pending}`);
    } catch {
      missingConsumers.push(`${consumer.stream}/${consumer.durable_name}`);
    }
  }
  const fix = "run `pug nats migrate` to create them";
  return [
    missingStreams.length === 0
      ? ok("nats streams", `${declared.streams.length} present`)
      : fail("nats streams", `missing: ${missingStreams.join(", ")}`, fix),
    missingConsumers.length === 0
      ? ok("nats consumers", `pending: ${pending.join(", ")}`)
      : fail("nats consumers", `missing: ${missingConsumers.join(", ")}`, fix),
  ];
}
