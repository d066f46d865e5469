// NATS "migrations" are declarations: every run makes the streams and consumers of all shipped files exist as
// declared (creating or updating them in place), and the ledger records which files have been applied.

import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import { withEventPartitions } from "../domain/migrations/event-partition-declarations.ts";
import { natsDeclarations, type ConsumerSpec, type StreamLimits, type StreamSpec } from "../domain/migrations/nats-declarations.ts";
import type { LedgerEntry, Migration } from "../domain/migrations/plan.ts";
import { isJetStreamNotFound, type Nats } from "../infra/nats.ts";
import { fixedPartitionCount } from "./event-partition-count.ts";
import { MigrationError, type StoreMigrator } from "./migrator.ts";

/**
 * `eventsPartitions` (PUG_EVENTS_PARTITIONS) is the count of events partitions made on the first migrate; once
 * they exist, a different count is refused. Unset, a migrate keeps the count NATS has, and the first makes one.
 */
export function natsMigrator(nats: Nats, shipped: Migration[], replicas: number, limits: Record<string, StreamLimits> = {}, eventsPartitions?: number): StoreMigrator {
  const ledgerStream = nats.names.stream("migrations");
  const ledgerSubject = (name: string) => nats.names.subject("migrations", name.replace(/\./g, "_"));

  return {
    store: "nats",
    async readLedger(): Promise<LedgerEntry[]> {
      const info = await streamInfo(nats, ledgerStream);
      if (!info) return [];
      const entries: LedgerEntry[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        // null for a deleted sequence inside the range (the client's answer to "no message found"); a timeout throws.
        const message = await nats.jsm.streams.getMessage(ledgerStream, { seq });
        if (!message) continue;
        const record = message.json<{ name: string; checksum: string; applied_at: string }>();
        entries.push({ name: record.name, checksum: record.checksum, appliedAt: new Date(record.applied_at) });
      }
      return entries;
    },
    async prepare() {
      refuseUnclusteredReplicas(nats, replicas);
      await upsertStream(nats, {
        name: ledgerStream,
        description: "Which NATS migration files pug has applied",
        subjects: [nats.names.subject("migrations", ">")],
        retention: "limits",
        storage: "file",
        discard: "old",
        num_replicas: replicas,
        max_age: 0,
        max_bytes: -1,
        duplicate_window: 120e9,
      });
    },
    async apply(migration: Migration) {
      const record = { name: migration.name, checksum: migration.checksum, applied_at: new Date().toISOString() };
      await nats.js.publish(ledgerSubject(migration.name), JSON.stringify(record));
    },
    async reconcile(dryRun: boolean) {
      if (dryRun) refuseUnclusteredReplicas(nats, replicas);
      const fixed = await fixedPartitionCount(nats);
      if (fixed !== undefined && eventsPartitions !== undefined && fixed !== eventsPartitions) {
        throw new MigrationError(
          `nats: PUG_EVENTS_PARTITIONS is ${eventsPartitions}, but the events stream was split into ${fixed} partitions when NATS was first migrated, ` +
            `and that count cannot change (people would move to other partitions, and their events out of order): set PUG_EVENTS_PARTITIONS=${fixed}`,
        );
      }
      const wanted = withEventPartitions(natsDeclarations(shipped, nats.names.prefix, replicas, limits), nats.names.prefix, eventsPartitions ?? fixed ?? 1);
      const lines: string[] = [];
      for (const stream of wanted.streams) {
        const change = await (dryRun ? streamChange(nats, stream) : upsertStream(nats, stream));
        if (change) lines.push(`${dryRun ? "would " : ""}${change} stream ${stream.name}`);
      }
      for (const consumer of wanted.consumers) {
        const change = await (dryRun ? consumerChange(nats, consumer) : upsertConsumer(nats, consumer));
        if (change) lines.push(`${dryRun ? "would " : ""}${change} consumer ${consumer.stream}/${consumer.durable_name}`);
      }
      if (lines.length === 0) lines.push(`${wanted.streams.length} streams and ${wanted.consumers.length} consumers as declared`);
      return lines;
    },
  };
}

function refuseUnclusteredReplicas(nats: Nats, replicas: number): void {
  if (replicas > 1 && !nats.connection.info?.cluster) {
    throw new Error(`NATS_STREAM_REPLICAS=${replicas}, but the NATS server is not part of a cluster: a single server cannot hold replicated streams; set NATS_STREAM_REPLICAS=1`);
  }
}

async function streamInfo(nats: Nats, name: string) {
  try {
    return await nats.jsm.streams.info(name);
  } catch (error) {
    if (isJetStreamNotFound(error, "stream")) return undefined;
    throw error;
  }
}

async function consumerInfo(nats: Nats, stream: string, durable: string) {
  try {
    return await nats.jsm.consumers.info(stream, durable);
  } catch (error) {
    if (isJetStreamNotFound(error, "consumer")) return undefined;
    throw error;
  }
}

const differs = (current: object, wanted: object) =>
  Object.entries(wanted).some(([key, value]) => JSON.stringify((current as Record<string, unknown>)[key]) !== JSON.stringify(value));

async function streamChange(nats: Nats, spec: StreamSpec): Promise<"create" | "update" | undefined> {
  const info = await streamInfo(nats, spec.name);
  if (!info) return "create";
  if (!differs(info.config, spec)) return undefined;
  // JetStream fits a stream into a lowered max_bytes by removing its oldest messages: in a work queue, accepted
  // messages no worker has written yet.
  if (spec.max_bytes > 0 && info.state.bytes > spec.max_bytes) {
    throw new MigrationError(
      `nats: ${spec.name} holds ${info.state.bytes} bytes, more than its new limit of ${spec.max_bytes}: JetStream would remove accepted messages to fit; ` +
        "let the workers drain it first, or give it more room in PUG_NATS_STREAM_LIMITS",
    );
  }
  return "update";
}

async function upsertStream(nats: Nats, spec: StreamSpec): Promise<"created" | "updated" | undefined> {
  const change = await streamChange(nats, spec);
  if (change === "create") await nats.jsm.streams.add(spec as Partial<StreamConfig> & { name: string });
  if (change === "update") await nats.jsm.streams.update(spec.name, spec as Partial<StreamConfig>);
  return change && (`${change}d` as "created" | "updated");
}

async function consumerChange(nats: Nats, spec: ConsumerSpec): Promise<"create" | "update" | undefined> {
  const info = await consumerInfo(nats, spec.stream, spec.durable_name);
  if (!info) return "create";
  const { stream: _stream, ...config } = spec;
  return differs(info.config, config) ? "update" : undefined;
}

async function upsertConsumer(nats: Nats, spec: ConsumerSpec): Promise<"created" | "updated" | undefined> {
  const change = await consumerChange(nats, spec);
  const { stream, ...config } = spec;
  if (change === "create") await nats.jsm.consumers.add(stream, config as Partial<ConsumerConfig>);
  if (change === "update") await nats.jsm.consumers.update(stream, spec.durable_name, config as Partial<ConsumerConfig>);
  return change && (`${change}d` as "created" | "updated");
}
