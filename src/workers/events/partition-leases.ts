// Shares the events partitions among the live `pug worker events` instances. Each partition has a lock (a Postgres
// advisory lock on a connection of its own, which is also the connection its ledger is written on); an instance
// writes the partitions whose locks it holds, at most its fair share (src/domain/ingest/partition-share.ts). It
// beats in the registry every TICK_MS and then looks again: under its share it tries free locks, over it (an
// instance joined) it hands partitions back — their writers finish the write in flight and stop, and release the
// lock; the ledger tells the next holder where to go on. An instance killed loses its locks with its connections,
// so the others can take its partitions as soon as it drops out of the live count (LIVE_WITHIN_MS).

import type { ReservedSql } from "postgres";
import type { App } from "../../app/app.ts";
import { sleep } from "../../domain/backoff.ts";
import { leasePlan } from "../../domain/ingest/partition-share.ts";
import type { Leadership } from "../../pipeline/leadership.ts";
import type { WorkerRegistry } from "./events-worker-registry.ts";

const TICK_MS = 1_000;

export interface PartitionWork {
  /** The partition count now (fixed once migrated; it grows once when an installation from before partitions is migrated). */
  partitions(): Promise<number>;
  /** Takes the lock of partition `index` on a connection of its own, or undefined when another worker holds it. */
  tryLock(index: number): Promise<Leadership | undefined>;
  /** Writes partition `index` under its lock (held on `conn`) until `signal` (stop) or `handOver` (let go). */
  write(index: number, conn: ReservedSql, signal: AbortSignal, handOver: AbortSignal): Promise<void>;
}

interface Held {
  handOver: AbortController;
  done: Promise<void>;
}

/** Runs until `signal`; throws when a partition's writer fails (the role restarts, with every partition). */
export async function runPartitionLeases(app: App, registry: WorkerRegistry, work: PartitionWork, signal: AbortSignal): Promise<void> {
  const log = app.log.child({ role: "events" });
  const held = new Map<number, Held>();
  const stopAll = new AbortController();
  const stopping = AbortSignal.any([signal, stopAll.signal]);
  let failure: { error: unknown } | undefined;
  let offset: number | undefined;
  let standby = false;
  let partitions = 0;

  const start = (index: number, conn: ReservedSql, release: () => Promise<void>) => {
    const handOver = new AbortController();
    const done = (async () => {
      try {
        await work.write(index, conn, stopping, handOver.signal);
        if (!handOver.signal.aborted && !stopping.aborted) throw new Error(`the writer of events partition ${index} stopped by itself`);
      } catch (error) {
        if (!stopping.aborted) {
          failure ??= { error };
          stopAll.abort();
        } else if (failure?.error !== error) {
          // Stopping (the role, or another partition failed first): this one's failure is not the role's error.
          log.error("an events partition's writer failed while the role was stopping", { partition: index, error });
        }
      } finally {
        await release();
        held.delete(index);
        app.metrics.partitionsHeld.set(held.size);
        if (handOver.signal.aborted && !stopping.aborted) log.info("handed an events partition over", { partition: index });
      }
    })();
    held.set(index, { handOver, done });
    app.metrics.partitionsHeld.set(held.size);
  };

  try {
    while (!stopping.aborted) {
      let live: number;
      try {
        partitions = await work.partitions();
        live = await registry.beat([...held.keys()].sort((a, b) => a - b));
      } catch (error) {
        // NATS or Postgres is away: keep writing what is held (its writers fail by themselves if their
        // connections went), and look again. Before the first look there is nothing to go on: the role restarts.
        if (partitions === 0) throw error;
        log.warn("could not look at the events partitions and the live workers; keeping the partitions held", { error });
        await sleep(TICK_MS, stopping);
        continue;
      }
      offset ??= Math.floor(Math.random() * partitions);
      const plan = leasePlan({ partitions, live, held: [...held.keys()] }, offset);
      for (const index of plan.release) {
        const lease = held.get(index);
        if (lease && !lease.handOver.signal.aborted) {
          log.info("handing an events partition over: more workers share the partitions now", { partition: index, live });
          lease.handOver.abort();
        }
      }
      let wanted = plan.take;
      for (const index of plan.candidates) {
        if (wanted === 0 || stopping.aborted) break;
        const lock = await work.tryLock(index).catch((error) => {
          log.warn("could not try the lock of an events partition; trying again in a moment", { partition: index, error });
          return undefined;
        });
        if (!lock) continue;
        wanted--;
        log.info("took an events partition", { partition: index, live });
        start(index, lock.conn, lock.release);
      }
      if (held.size === 0 && !standby) log.info("every events partition is held by another worker; waiting as a standby", { partitions, live });
      standby = held.size === 0;
      await sleep(TICK_MS, stopping);
    }
  } finally {
    stopAll.abort();
    await Promise.all([...held.values()].map((lease) => lease.done));
    await registry.leave().catch((error) => log.warn("could not leave the events worker registry; the others count this worker for a few seconds more", { error }));
  }
  if (failure) throw failure.error;
}
