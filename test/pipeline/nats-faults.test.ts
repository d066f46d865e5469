// The writer against JetStream failing under it: NATS restarted while the writer replays a planned range, and a
// 3-node cluster (R3 streams) losing first the stream leader and then the node the roles are connected to. Every
// event answered 200 is stored exactly once.

import { describe, expect, test } from "bun:test";
import { createPostgres } from "../../src/infra/postgres.ts";
import { backgroundLoad, expectExactlyOnce, ingestStack } from "../support/ingest-stack.ts";
import { waitFor } from "../support/ports.ts";
import { type NatsCluster, startNats, startNatsCluster } from "../support/private-servers.ts";
import { sendLoad } from "../support/sdk-events.ts";

/** The cluster node ports a process has TCP connections to. */
function connectedPorts(pid: number): number[] {
  const out = Bun.spawnSync(["ss", "-tnpH", "state", "established"]).stdout.toString();
  return out.split("\n").filter((line) => line.includes(`pid=${pid},`)).map((line) => Number(line.trim().split(/\s+/)[3]?.split(":").at(-1)));
}

describe("NATS restarted mid-replay", () => {
  test("a planned range replayed while NATS is down and comes back is written whole: nothing is taken for gone", async () => {
    const nats = await startNats();
    // One partition: the worker waits for the lock the test holds instead of writing the others.
    const stack = await ingestStack("replay_restart", { env: { NATS_URL: nats.url, PUG_RATE_LIMIT_IP_RPS: "0", PUG_LOG_LEVEL: "info", PUG_EVENTS_PARTITIONS: "1" } });
    const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
    try {
      const accepted = await sendLoad(stack.baseUrl, stack.publicKey, stack.projectId, { batches: 300, size: 5, concurrency: 4 });
      const stream = stack.nats.names.stream("events");
      const { first_seq: first, last_seq: last } = (await stack.nats.jsm.streams.info(stream)).state;
      // The state a worker killed between planning and committing leaves behind: the whole backlog planned.
      await sql`INSERT INTO ingest_checkpoints (consumer, committed_seq, planned_first, planned_last)
        VALUES (${`${stream}/events-worker`}, ${first - 1}, ${first}, ${last})`;
      // Hold the writer's lock, so the worker waits as a standby and starts its replay only when told.
      const lock = await sql.reserve();
      await lock`SELECT pg_advisory_lock(hashtext(${`pug events-worker ${stream}`}))`;
      const worker = await stack.startWorker({}, false);
      await waitFor("the worker waiting as a standby", () => worker.output().includes("waiting as a standby"), 20_000);

      await nats.pause();
      await lock`SELECT pg_advisory_unlock(hashtext(${`pug events-worker ${stream}`}))`;
      lock.release();
      await waitFor("the worker starting the replay", () => worker.output().includes("writing again the range planned"), 10_000);
      // Longer than a JetStream request's timeout, so every read of the replay fails at least once.
      await Bun.sleep(7_000);
      await nats.resume();

      await expectExactlyOnce(stack, accepted, 60_000);
      expect(worker.output()).toContain("could not read a stream message; retrying");
      expect(worker.output()).not.toContain("gone from the stream");
    } finally {
      await sql.end();
      await stack.stop();
      await nats.stop();
    }
  }, 150_000);
});

/** For a stack that failed to start: the cluster it was for is stopped (its processes and files), and the error goes on. */
const stopping = (cluster: NatsCluster) => async (error: unknown): Promise<never> => {
  await cluster.stop();
  throw error;
};

describe("missed heartbeats", () => {
  test("the worker's NATS server freezing for seconds fails its pulls but not the worker: nothing held is abandoned", async () => {
    const cluster = await startNatsCluster(3);
    const stack = await ingestStack("heartbeats", { env: { NATS_URL: cluster.url, NATS_STREAM_REPLICAS: "3", PUG_RATE_LIMIT_IP_RPS: "0", PUG_EVENTS_BATCH_MAX: "300" } }).catch(stopping(cluster));
    try {
      const worker = await stack.startWorker();
      const used = cluster.nodes.find((node) => connectedPorts(worker.proc.pid).includes(node.port));
      expect(used).toBeDefined();
      const load = backgroundLoad(stack, { size: 10, pauseMs: 20 });
      await load.progress("events stored", 300);
      // Longer than two idle heartbeats of a pull (1 s each), shorter than the connection's stale-ping limit.
      await cluster.freeze(used!.index);
      await Bun.sleep(4_000);
      await cluster.thaw(used!.index);
      await load.progress("events stored after the freeze", 300);
      const accepted = await load.stop();

      // Held messages were kept (and their deliveries kept alive), not left to come back after ack_wait.
      await expectExactlyOnce(stack, accepted, 60_000, 15_000);
      const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
      expect(metrics).toMatch(/pug_writer_fetch_errors_total\{table="events"\} [1-9]/);
      expect(metrics).not.toMatch(/pug_role_restarts_total\{role="events"\} [1-9]/);
    } finally {
      await stack.stop();
      await cluster.stop();
    }
  }, 150_000);
});

describe("3-node JetStream cluster", () => {
  test("under load, killing the stream leader and then the node the roles use loses and duplicates nothing", async () => {
    const cluster = await startNatsCluster(3);
    const stack = await ingestStack("cluster", {
      // One partition: the test kills that stream's leader (four replicated partitions only make it slower).
      env: { NATS_URL: cluster.url, NATS_STREAM_REPLICAS: "3", PUG_RATE_LIMIT_IP_RPS: "0", PUG_EVENTS_BATCH_MAX: "500", PUG_EVENTS_PARTITIONS: "1" },
    }).catch(stopping(cluster));
    try {
      // Merges would collapse duplicate rows (ReplacingMergeTree) and hide a double write from count().
      await stack.ch.command({ query: "SYSTEM STOP MERGES events" });
      const worker = await stack.startWorker();
      const stream = stack.nats.names.stream("events");
      const load = backgroundLoad(stack, { size: 10, pauseMs: 20 });
      await load.progress("events stored before any kill", 300);

      const leader = await cluster.streamLeader(stream);
      await cluster.kill(leader.index);
      await load.progress(`events stored after killing the stream leader ${leader.name}`, 300);
      await cluster.restart(leader.index);
      await cluster.waitForStreamsCurrent([stream], 60_000);

      const ports = connectedPorts(worker.proc.pid);
      const used = cluster.nodes.find((node) => ports.includes(node.port));
      expect(used).toBeDefined();
      await cluster.kill(used!.index);
      await load.progress(`events stored after killing ${used!.name}, the worker's node`, 300);
      const accepted = await load.stop();
      expect(accepted.size).toBeGreaterThan(1_000);

      // Acknowledgements sent to a node as it died are lost: the idle writer sees the ack floor stay below what it
      // wrote and removes those messages, well before JetStream's ack_wait (60 s, restarted by a new consumer
      // leader) would redeliver them.
      await expectExactlyOnce(stack, accepted, 90_000, 30_000);
      const metrics = await (await fetch(`${stack.workerUrl}/metrics`)).text();
      expect(metrics).not.toMatch(/pug_role_restarts_total\{role="events"\} [1-9]/);
    } finally {
      await stack.stop();
      await cluster.stop();
    }
  }, 240_000);
});
