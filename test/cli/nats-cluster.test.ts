// Pug against a three-node JetStream cluster (R3 streams) on loopback: `pug doctor` reads the cluster's health,
// and a role keeps taking events when the server it is connected to dies.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DoctorRun, runDoctor } from "../support/doctor-report.ts";
import { type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { type NatsCluster, startNatsCluster } from "../support/private-servers.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { scratchEnv } from "../support/scratch.ts";
import { batchBody, sdkEvent, sdkRequest } from "../support/sdk-events.ts";
import { partitionStream } from "../../src/domain/ingest/event-partitions.ts";
import { queuedEvents } from "../support/queued-events.ts";

let cluster: NatsCluster;
beforeAll(async () => {
  cluster = await startNatsCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe("pug doctor on a JetStream cluster", () => {
  test("reads every server in NATS_URL and each stream's leader and replicas; a dead node is a warning until it is back", async () => {
    const env = { ...(await scratchEnv("cluster_doctor")), NATS_URL: cluster.nodes.map((n) => n.url).join(" , "), NATS_STREAM_REPLICAS: "3", PUG_EVENTS_PARTITIONS: "4" };
    expectSuccess(await runPug(["migrate"], env), "pug migrate");
    const prefix = env.PUG_NATS_PREFIX;

    const healthy = await runDoctor(env);
    expect(healthy.report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(healthy.code).toBe(0);
    const reachable = healthy.check("nats reachable");
    expect([reachable.status, reachable.figure]).toEqual(["ok", expect.stringMatching(/^3 of 3 servers answered, \d+\.\d ms$/)]);
    const replicas = healthy.check("nats stream replicas");
    expect(replicas.status).toBe("ok");
    for (const stream of ["events", "events_dlq", "profiles", "email", "compliance_dlq"]) expect(replicas.figure).toMatch(new RegExp(`\\b${stream} n[0-2] 3/3\\b`));
    const streams = healthy.check("nats streams");
    expect([streams.status, streams.figure]).toEqual(["ok", expect.stringContaining("11 present: events 0 msgs 0 B of 16.0 MiB (0%), events_p1 0 msgs 0 B of 16.0 MiB (0%), events_p2 0 msgs 0 B of 16.0 MiB (0%), events_p3 0 msgs 0 B of 16.0 MiB (0%), events_dlq 0 msgs 0 B of 16.0 MiB (0%)")]);
    expect(healthy.check("nats consumers").status).toBe("ok");

    const victim = await cluster.streamLeader(`${prefix}_events`);
    await cluster.kill(victim.index);
    try {
      // Until the others elect new leaders (for the streams, consumers and JetStream itself, if it led those
      // too), lookups fail; once they have, a dead replica is a warning.
      let degraded!: DoctorRun;
      await waitFor("doctor to see new leaders and the dead replica", async () => {
        degraded = await runDoctor(env);
        const replicasLine = degraded.check("nats stream replicas");
        return degraded.code === 0 && replicasLine.status === "warn" && new RegExp(`^${victim.name} offline in all 11 streams$`).test(replicasLine.message!);
      }, 30_000);
      const reachableNow = degraded.check("nats reachable");
      expect([reachableNow.status, reachableNow.figure, reachableNow.message]).toEqual(["warn", expect.stringMatching(/^2 of 3 servers answered, \d+\.\d ms$/), expect.stringContaining(`no answer from ${victim.url}`)]);
      const replicasNow = degraded.check("nats stream replicas");
      expect(replicasNow.figure).toMatch(new RegExp(`\\bevents n[0-2] 2/3 \\(${victim.name} offline\\)`));
      expect(replicasNow.figure).not.toMatch(new RegExp(`\\bevents ${victim.name} `));
      for (const name of ["nats jetstream enabled", "nats streams", "nats consumers", "nats migrations"]) expect([name, degraded.check(name).status]).toEqual([name, "ok"]);
      expect(degraded.report.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(degraded.report.ok).toBe(true);
      expect(degraded.code).toBe(0);

      await cluster.restart(victim.index);
      const streamNames = ["events", "profiles", "email", "compliance"].flatMap((s) => [`${prefix}_${s}`, `${prefix}_${s}_dlq`]).concat([1, 2, 3].map((i) => `${prefix}_events_p${i}`));
      await cluster.waitForStreamsCurrent(streamNames);
      // The node's return can move a leader again, and a replica is briefly behind while it catches up: the
      // warning goes once every stream has settled.
      let recovered!: DoctorRun;
      await waitFor("doctor to see every replica current again", async () => {
        recovered = await runDoctor(env);
        return recovered.check("nats stream replicas").status === "ok";
      }, 30_000);
      expect([recovered.check("nats reachable").status, recovered.check("nats stream replicas").status, recovered.code]).toEqual(["ok", "ok", 0]);
    } finally {
      if (!victim.running) await cluster.restart(victim.index);
    }
  });

  test("a stream whose only replica is down is reported as not answering, not as missing", async () => {
    const env = { ...(await scratchEnv("cluster_r1")), NATS_URL: cluster.url, NATS_STREAM_REPLICAS: "1" };
    expectSuccess(await runPug(["nats", "migrate"], env), "pug nats migrate");
    const holder = await cluster.streamLeader(`${env.PUG_NATS_PREFIX}_events`);
    await cluster.kill(holder.index);
    try {
      // If it also led JetStream's own group, the others first elect a new meta leader.
      let result!: DoctorRun;
      await waitFor("JetStream to answer without the dead node", async () => {
        result = await runDoctor(env);
        return result.check("nats jetstream enabled").status === "ok";
      }, 30_000);
      const { code, check } = result;
      const streams = check("nats streams");
      const consumers = check("nats consumers");
      for (const failed of [streams, consumers]) {
        expect(failed.status).toBe("fail");
        expect(failed.message).not.toContain("missing");
        expect(failed.fix).toMatch(/^JetStream did not answer: is the cluster electing a leader, and are a majority of its servers up \(quorum\)\?/);
      }
      expect(streams.message).toStartWith(`no answer about ${env.PUG_NATS_PREFIX}_events`);
      expect(consumers.message).toStartWith(`no answer about ${env.PUG_NATS_PREFIX}_events/events-worker`);
      expect(streams.message).toEndWith(": no answer within 3000 ms");
      expect(code).toBe(1);
    } finally {
      await cluster.restart(holder.index);
    }
  });
});

describe("a role on a JetStream cluster", () => {
  const roleEnv = { NATS_STREAM_REPLICAS: "3", PUG_LOG_LEVEL: "debug" };
  const logLines = (stack: IngestStack) =>
    stack.server.output().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
  const connectedNode = (stack: IngestStack) => {
    const connected = logLines(stack).find((l) => l.msg === "nats connected");
    if (!connected) throw new Error(`no "nats connected" line in ${stack.server.output()}`);
    return cluster.nodeAt(String(connected.server));
  };
  /** Sends one SDK batch until the server accepts it; resolves with the events' ids found in the stream. */
  const sendAndFindInStream = async (stack: IngestStack) => {
    const events = [sdkEvent(stack.projectId), sdkEvent(stack.projectId)];
    await waitFor("the server to accept events again", async () => (await sdkRequest(stack.baseUrl, stack.publicKey, batchBody(events))).status === 200, 60_000);
    // The request went to its person's partition: look in every one. A stream whose leader was on the killed
    // node answers only once a new leader is elected, so the reading is retried until every stream answers.
    const queued = new Set<string>();
    await waitFor("every events partition to answer", async () => {
      for (let index = 0; index < stack.partitions; index++) {
        for (const id of (await queuedEvents(stack.nats, partitionStream(index))).keys()) queued.add(id);
      }
      return true;
    }, 60_000);
    return events.map((e) => queued.has(e.eventId));
  };

  test("pug server rides out the death of its NATS server: it logs the disconnect and reconnect and keeps storing events", async () => {
    const stack = await ingestStack("cluster_server", { env: { ...roleEnv, NATS_URL: cluster.url } });
    const node = connectedNode(stack);
    try {
      await cluster.kill(node.index);
      expect(await sendAndFindInStream(stack)).toEqual([true, true]);

      const lines = logLines(stack);
      expect(lines.find((l) => l.msg === "nats disconnected")).toMatchObject({ level: "warn", event: "disconnect", server: `127.0.0.1:${node.port}` });
      const reconnected = lines.find((l) => l.msg === "nats reconnected");
      expect(reconnected).toMatchObject({ level: "info", event: "reconnect" });
      expect(cluster.nodeAt(String(reconnected!.server)).index).not.toBe(node.index);

      const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/^pug_nats_connection_events_total\{event="disconnect"\} 1$/m);
      expect(metrics).toMatch(/^pug_nats_connection_events_total\{event="reconnect"\} 1$/m);
      expect(metrics).toMatch(/^pug_nats_connected 1$/m);
    } finally {
      if (!node.running) await cluster.restart(node.index);
      await stack.stop();
    }
  });

  test("pug server leaves a NATS server that hangs without closing the socket once its pings go unanswered", async () => {
    const stack = await ingestStack("cluster_frozen", { env: { ...roleEnv, NATS_URL: cluster.url } });
    const node = connectedNode(stack);
    try {
      cluster.freeze(node.index);
      const started = Date.now();
      expect(await sendAndFindInStream(stack)).toEqual([true, true]);
      // Unanswered pings for 15 s, at most 5 s for a greeting from each server tried, then the batch: the client's
      // defaults (2-minute pings, 20 s greeting timeout) would take minutes.
      expect(Date.now() - started).toBeLessThan(32_000);

      const lines = logLines(stack);
      expect(lines.find((l) => l.event === "stale_connection")).toMatchObject({ level: "warn", server: `127.0.0.1:${node.port}` });
      const reconnected = lines.find((l) => l.msg === "nats reconnected");
      expect(cluster.nodeAt(String(reconnected?.server)).index).not.toBe(node.index);
    } finally {
      cluster.thaw(node.index);
      await stack.stop();
      await cluster.waitUntilReady();
    }
  });
});
