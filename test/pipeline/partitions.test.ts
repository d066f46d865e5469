// The events partitions shared by several `pug worker events` processes, against real Postgres, NATS and
// ClickHouse: a worker killed under load loses its partitions to the other within seconds and nothing is lost or
// stored twice; a worker joining under load takes its share without a gap or a double write; and the partition
// count, once made, cannot be changed by a later migrate.

import { describe, expect, test } from "bun:test";
import { partitionStream } from "../../src/domain/ingest/event-partitions.ts";
import { discoverEventPartitions } from "../../src/infra/event-partition-streams.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { expectExactlyOnce, type IngestStack, ingestStack } from "../support/ingest-stack.ts";
import { type PartitionLoad, publishPartitioned } from "../support/partition-load.ts";
import { waitFor } from "../support/ports.ts";
import { runPug, type RunningPug } from "../support/pug-process.ts";

const PARTITIONS = 4;

/** Which partitions each live worker says it writes (events_workers), by pid. */
async function holdings(stack: IngestStack): Promise<Map<number, number[]>> {
  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  try {
    const rows = await sql<{ pid: number; partitions: number[] }[]>`
      SELECT pid, partitions FROM events_workers WHERE heartbeat_at > now() - interval '3 seconds'`;
    return new Map(rows.map((row) => [row.pid, [...row.partitions].sort()]));
  } finally {
    await sql.end();
  }
}

async function waitForShares(stack: IngestStack, expected: Map<number, number>, timeoutMs = 30_000): Promise<void> {
  await waitFor(`partitions held as ${JSON.stringify([...expected])}`, async () => {
    const held = await holdings(stack);
    const all = [...held.values()].flat().sort();
    return [...expected].every(([pid, count]) => held.get(pid)?.length === count) && all.length === PARTITIONS && new Set(all).size === PARTITIONS;
  }, timeoutMs);
}

/** Publishes in the background until stopped; resolves with everything published. */
function backgroundPublish(stack: IngestStack): { stop(): Promise<PartitionLoad>; load: PartitionLoad } {
  let going = true;
  const load: PartitionLoad = { ids: new Set(), perPartition: new Array(PARTITIONS).fill(0) };
  // Paced (about 2,000 events/s): load for as long as a test needs, never more than a slow CI machine's worker
  // drains, or the partitions (a quarter of the test's 64 MiB each) would fill and refuse the publisher.
  const done = publishPartitioned(stack.nats, stack.projectId, { batches: 0, size: 20, partitions: PARTITIONS, concurrency: 2, until: () => going, pauseMs: 20 }, load);
  return {
    load,
    async stop() {
      going = false;
      await done;
      return load;
    },
  };
}

/** Every partition's ledger has committed its whole stream: no range left planned, nothing skipped. */
async function expectLedgersAtStreamEnds(stack: IngestStack): Promise<void> {
  const sql = createPostgres({ url: stack.env.DATABASE_URL, maxConnections: 1 });
  try {
    for (let index = 0; index < PARTITIONS; index++) {
      const stream = stack.nats.names.stream(partitionStream(index));
      const { state } = await stack.nats.jsm.streams.info(stream);
      const [row] = await sql<{ committed_seq: string; planned_last: string }[]>`
        SELECT committed_seq, planned_last FROM ingest_checkpoints WHERE consumer = ${`${stream}/events-worker`}`;
      expect({ stream, committed: Number(row?.committed_seq), plannedAhead: Number(row?.planned_last) > Number(row?.committed_seq) }).toEqual({ stream, committed: state.last_seq, plannedAhead: false });
    }
  } finally {
    await sql.end();
  }
}

/** Also FINAL (the table's merge view) sees each event once: the test does not pass on a merge happening to run. */
async function expectFinalOnce(stack: IngestStack, count: number): Promise<void> {
  const result = await stack.ch.query({ query: "SELECT count() AS rows, uniqExact(event_id) AS ids FROM events FINAL", format: "JSONEachRow" });
  const [row] = await result.json<{ rows: string; ids: string }>();
  expect({ rows: Number(row!.rows), ids: Number(row!.ids) }).toEqual({ rows: count, ids: count });
}

function expectNoCrash(worker: RunningPug): void {
  const output = worker.output();
  if (output.includes("role crashed")) console.error(output.split("\n").filter((line) => /crash|error|warn/i.test(line)).join("\n"));
  expect(output).not.toContain("role crashed");
}

describe("events partitions shared by workers", () => {
  test("two workers split 4 partitions; kill -9 one under load and the other takes its partitions: every event stored once", async () => {
    const stack = await ingestStack("parts_kill", { env: { PUG_EVENTS_PARTITIONS: String(PARTITIONS) } });
    const workers: RunningPug[] = [];
    try {
      workers.push(await stack.startWorker({ PUG_LOG_LEVEL: "info" }, false));
      await waitForShares(stack, new Map([[workers[0]!.proc.pid, 4]]));
      workers.push(await stack.startWorker({ PUG_LOG_LEVEL: "info" }, false));
      await waitForShares(stack, new Map([[workers[0]!.proc.pid, 2], [workers[1]!.proc.pid, 2]]));

      const publishing = backgroundPublish(stack);
      await waitFor("events stored while both workers write", async () => (await stack.stored()).rows > 2_000, 60_000);
      const victim = workers[0]!;
      victim.proc.kill("SIGKILL");
      await victim.proc.exited;
      const killedAt = Date.now();
      await waitForShares(stack, new Map([[workers[1]!.proc.pid, 4]]), 20_000);
      const takeoverMs = Date.now() - killedAt;
      const stored = (await stack.stored()).rows;
      await waitFor("the survivor writes on", async () => (await stack.stored()).rows > stored + 1_000, 60_000);
      const load = await publishing.stop();

      expect(load.perPartition.every((n) => n > 0)).toBe(true);
      await expectExactlyOnce(stack, load.ids, 120_000, 20_000);
      await expectFinalOnce(stack, load.ids.size);
      await expectLedgersAtStreamEnds(stack);
      // Within seconds: the dead worker drops out of the live count after 3 s, the survivor looks every second.
      expect(takeoverMs).toBeLessThan(15_000);
      expectNoCrash(workers[1]!);
    } finally {
      await stack.stop();
    }
  }, 300_000);

  test("a worker joining under load takes half the partitions without a gap or a double write", async () => {
    const stack = await ingestStack("parts_join", { env: { PUG_EVENTS_PARTITIONS: String(PARTITIONS) } });
    try {
      const first = await stack.startWorker({ PUG_LOG_LEVEL: "info" }, false);
      await waitForShares(stack, new Map([[first.proc.pid, 4]]));
      const publishing = backgroundPublish(stack);
      await waitFor("events stored by the first worker", async () => (await stack.stored()).rows > 2_000, 60_000);

      const firstUrl = stack.workerUrl;
      const second = await stack.startWorker({ PUG_LOG_LEVEL: "info" }, false);
      await waitForShares(stack, new Map([[first.proc.pid, 2], [second.proc.pid, 2]]));
      for (const url of [firstUrl, stack.workerUrl]) {
        await waitFor("each worker's gauge to say 2 partitions", async () => /^pug_events_partitions_held 2$/m.test(await (await fetch(`${url}/metrics`)).text()), 10_000);
      }
      const stored = (await stack.stored()).rows;
      await waitFor("both write on", async () => (await stack.stored()).rows > stored + 2_000, 60_000);
      const load = await publishing.stop();

      await expectExactlyOnce(stack, load.ids, 120_000, 20_000);
      await expectFinalOnce(stack, load.ids.size);
      await expectLedgersAtStreamEnds(stack);
      expect(first.output()).toContain("handing an events partition over");
      for (const worker of [first, second]) expectNoCrash(worker);
    } finally {
      await stack.stop();
    }
  }, 300_000);

  test("left unset, the first migrate makes one partition: on one machine, one is the fastest", async () => {
    const stack = await ingestStack("parts_default");
    try {
      expect(stack.env.PUG_EVENTS_PARTITIONS).toBeUndefined();
      expect(stack.partitions).toBe(1);
      expect((await runPug(["doctor"], stack.env)).stdout).toMatch(/events partitions.*1 partition: events\n/);
    } finally {
      await stack.stop();
    }
  }, 60_000);

  test("the partition count is fixed at the first migrate; an installation from before partitions gets them on its next", async () => {
    const stack = await ingestStack("parts_count", { env: { PUG_EVENTS_PARTITIONS: String(PARTITIONS) } });
    try {
      const changed = await runPug(["nats", "migrate"], { ...stack.env, PUG_EVENTS_PARTITIONS: "3" });
      expect(changed.code).not.toBe(0);
      expect(changed.stderr + changed.stdout).toContain("PUG_EVENTS_PARTITIONS is 3, but the events stream was split into 4 partitions");
      expect(changed.stderr + changed.stdout).toContain("set PUG_EVENTS_PARTITIONS=4");

      // As an installation migrated before partitions: the events stream alone, with its old description.
      const { nats } = stack;
      for (let index = 1; index < PARTITIONS; index++) await nats.jsm.streams.delete(nats.names.stream(partitionStream(index)));
      const events = await nats.jsm.streams.info(nats.names.stream("events"));
      await nats.jsm.streams.update(events.config.name, { ...events.config, description: "Events accepted by the server, waiting for the events worker" });
      const doctor = await runPug(["doctor"], stack.env);
      expect(doctor.stdout).toMatch(/events partitions.*1 partition: events, from before partitions; PUG_EVENTS_PARTITIONS is 4/);
      expect(doctor.stdout).toContain("run `pug nats migrate` to make the other 3");

      const migrated = await runPug(["nats", "migrate"], { ...stack.env, PUG_EVENTS_PARTITIONS: "2" });
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toContain(`created stream ${nats.names.stream("events_p1")}`);
      expect(migrated.stdout).toContain(`created consumer ${nats.names.stream("events_p1")}/events-worker`);
      expect((await runPug(["doctor"], { ...stack.env, PUG_EVENTS_PARTITIONS: "2" })).stdout).toMatch(/events partitions.*2 partitions: events … events_p1\n/);
      const mismatch = (await runPug(["doctor"], stack.env)).stdout;
      expect(mismatch).toMatch(/events partitions.*2 partitions: events … events_p1, but PUG_EVENTS_PARTITIONS is 4/);
      expect(mismatch).toContain("set PUG_EVENTS_PARTITIONS=2: the count was fixed when NATS was first migrated");
      const again = await runPug(["nats", "migrate"], { ...stack.env, PUG_EVENTS_PARTITIONS: "4" });
      expect(again.code).not.toBe(0);
      expect(again.stderr + again.stdout).toContain("split into 2 partitions");
      // Left unset (as in an installation migrated when 4 was the default), a migrate keeps the count NATS has.
      const { PUG_EVENTS_PARTITIONS: _, ...unset } = stack.env;
      const kept = await runPug(["nats", "migrate"], unset);
      expect(kept.code).toBe(0);
      expect(kept.stdout).toContain("streams and 5 consumers as declared");
      expect(await discoverEventPartitions(nats)).toBe(2);
      expect((await runPug(["doctor"], unset)).stdout).toMatch(/events partitions.*2 partitions: events … events_p1\n/);
      // The last partition lost leaves no gap in the numbering: the count recorded at the first migrate tells.
      await nats.jsm.streams.delete(nats.names.stream(partitionStream(1)));
      const lost = (await runPug(["doctor"], unset)).stdout;
      expect(lost).toMatch(/events partitions.*1 partition: events, but 2 were made when NATS was first migrated/);
      expect(lost).toContain("run `pug nats migrate` to make the missing partition streams again");
      expect((await runPug(["nats", "migrate"], unset)).stdout).toContain(`created stream ${nats.names.stream("events_p1")}`);
      expect(await discoverEventPartitions(nats)).toBe(2);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
