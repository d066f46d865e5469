// The streams and consumers Pug declares, as JetStream holds them: present or missing (only JetStream's own
// "not found" means missing), how full, who leads each stream and whether its replicas keep up.

import type { JetStreamManager, PeerInfo, StreamInfo } from "@nats-io/jetstream";
import type { App } from "../app/app.ts";
import { withEventPartitions } from "../domain/migrations/event-partition-declarations.ts";
import { natsDeclarations } from "../domain/migrations/nats-declarations.ts";
import { isJetStreamNotFound } from "../infra/nats.ts";
import { shippedMigrations } from "../migrate/run-migrations.ts";
import { type CheckResult, errorText, fail, ok, skip, warn } from "./check.ts";
import { partitionCheck } from "./nats-partition-checks.ts";

export const JETSTREAM_SILENT_FIX =
  "JetStream did not answer: is the cluster electing a leader, and are a majority of its servers up (quorum)? check `nats server report jetstream`, then run pug doctor again";
const MIGRATE_FIX = "run `pug nats migrate` to create them";
/**
 * A replica not heard from for this long counts as offline: nats-server 2.9 never sets `offline` for a killed
 * peer, and healthy peers answer the leader's heartbeats within about a second.
 */
const OFFLINE_AFTER_NS = 5e9;
const FULL_WARN = 0.8;

/** A JetStream request's failure; the client's bare "timeout" becomes how long doctor waited. */
export function jetStreamErrorText(error: unknown, timeoutMs: number): string {
  return error instanceof Error && error.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : errorText(error);
}

type Lookup<T> = { name: string; info: T } | { name: string; missing: true } | { name: string; error: unknown };

async function lookup<T>(name: string, what: "stream" | "consumer", get: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { name, info: await get() };
  } catch (error) {
    return isJetStreamNotFound(error, what) ? { name, missing: true } : { name, error };
  }
}

/** `clustered`: the server is part of a NATS cluster (a lone server reports no stream leaders). */
export async function natsStreamChecks(app: App, jsm: JetStreamManager, clustered: boolean, timeoutMs: number): Promise<CheckResult[]> {
  const { prefix, replicas, eventsPartitions } = app.config.nats;
  const partitions = await partitionCheck(jsm, prefix, eventsPartitions);
  // With the count unknown (a hole, or never migrated), partition 0 alone is looked for beyond what the check says.
  const declared = withEventPartitions(natsDeclarations(await shippedMigrations("nats"), prefix, replicas), prefix, partitions.count ?? 1);
  const [streams, consumers] = await Promise.all([
    Promise.all(declared.streams.map((s) => lookup(s.name, "stream", () => jsm.streams.info(s.name)))),
    Promise.all(declared.consumers.map((c) => lookup(`${c.stream}/${c.durable_name}`, "consumer", () => jsm.consumers.info(c.stream, c.durable_name)))),
  ]);
  const found = streams.flatMap((s) => ("info" in s ? [s.info] : []));
  const short = (name: string) => name.slice(prefix.length + 1);
  return [
    partitions.check,
    lookupCheck("nats streams", streams, timeoutMs, () => fillCheck(found, short)),
    found.length === 0 ? skip("nats stream replicas", "no stream to look at") : replicaCheck(found, replicas, clustered, short),
    lookupCheck("nats consumers", consumers, timeoutMs, (infos) => ok("nats consumers", `pending: ${infos.map((c) => `${c.name} ${c.num_pending + c.num_ack_pending}`).join(", ")}`)),
  ];
}

function lookupCheck<T>(name: string, lookups: Lookup<T>[], timeoutMs: number, whenAllFound: (infos: T[]) => CheckResult): CheckResult {
  const missing = lookups.filter((l) => "missing" in l).map((l) => l.name);
  const silent = lookups.filter((l) => "error" in l);
  if (missing.length > 0) {
    const unanswered = silent.length > 0 ? `; no answer about ${silent.map((l) => l.name).join(", ")}` : "";
    return fail(name, `missing: ${missing.join(", ")}${unanswered}`, MIGRATE_FIX);
  }
  if (silent.length > 0) {
    const first = silent[0]!;
    return fail(name, `no answer about ${silent.map((l) => l.name).join(", ")}: ${"error" in first ? jetStreamErrorText(first.error, timeoutMs) : ""}`, JETSTREAM_SILENT_FIX);
  }
  return whenAllFound(lookups.flatMap((l) => ("info" in l ? [l.info] : [])));
}

function fillCheck(streams: StreamInfo[], short: (name: string) => string): CheckResult {
  const figure = `${streams.length} present: ` + streams.map((s) => {
    const limit = s.config.max_bytes > 0 ? ` of ${bytes(s.config.max_bytes)} (${Math.round((100 * s.state.bytes) / s.config.max_bytes)}%)` : "";
    return `${short(s.config.name)} ${s.state.messages} msgs ${bytes(s.state.bytes)}${limit}`;
  }).join(", ");
  const full = streams.filter((s) => s.config.max_bytes > 0 && s.state.bytes >= FULL_WARN * s.config.max_bytes);
  if (full.length > 0) {
    return warn("nats streams", `nearly full: ${full.map((s) => short(s.config.name)).join(", ")}; a full stream refuses new messages`, "let the workers catch up (are they running?) or raise the stream's max_bytes", figure);
  }
  return ok("nats streams", figure);
}

function replicaCheck(streams: StreamInfo[], declared: number, clustered: boolean, short: (name: string) => string): CheckResult {
  if (!clustered) {
    const figure = `single server (not clustered), ${streams.length} streams R1`;
    return declared === 1 ? ok("nats stream replicas", figure) : warn("nats stream replicas", `NATS_STREAM_REPLICAS is ${declared}, but a single server holds one copy of each stream`, "set NATS_STREAM_REPLICAS=1, or run a JetStream cluster of at least that many servers", figure);
  }
  const leaderless: string[] = [];
  /** `n0 offline` → the streams where that replica is. */
  const behind = new Map<string, string[]>();
  const undersized: string[] = [];
  const parts = streams.map((s) => {
    const name = short(s.config.name);
    const size = s.config.num_replicas;
    if (size !== declared) undersized.push(`${name} R${size}`);
    const leader = s.cluster?.leader;
    if (!leader) {
      leaderless.push(name);
      return `${name} no leader`;
    }
    const peers = (s.cluster?.replicas ?? []).map((peer) => ({ peer, state: peerState(peer) }));
    const current = 1 + peers.filter((p) => p.state === "current").length;
    const troubled = peers.filter((p) => p.state !== "current").map((p) => `${p.peer.name} ${p.state}${p.state === "lagging" ? ` ${p.peer.lag ?? 0} ops` : ""}`);
    for (const { peer, state } of peers.filter((p) => p.state !== "current")) {
      const key = `${peer.name} ${state}`;
      behind.set(key, [...(behind.get(key) ?? []), name]);
    }
    return `${name} ${leader} ${current}/${size}${troubled.length > 0 ? ` (${troubled.join(", ")})` : ""}`;
  });
  const figure = `leader current/replicas: ${parts.join(", ")}`;
  if (leaderless.length > 0) {
    return fail("nats stream replicas", `no leader: ${leaderless.join(", ")}; nothing can be written to them`, JETSTREAM_SILENT_FIX, figure);
  }
  if (behind.size > 0) {
    const where = (names: string[]) => (names.length === streams.length ? `all ${names.length} streams` : names.join(", "));
    return warn("nats stream replicas", [...behind].map(([peer, names]) => `${peer} in ${where(names)}`).join("; "), "bring the NATS servers named back up; JetStream catches their replicas up by itself (if one stays lagging, check its disk and network)", figure);
  }
  if (undersized.length > 0) {
    return warn("nats stream replicas", `NATS_STREAM_REPLICAS is ${declared}, but ${undersized.join(", ")}`, "run `pug nats migrate` to apply NATS_STREAM_REPLICAS (or set it to what the streams have)", figure);
  }
  return ok("nats stream replicas", figure);
}

function peerState(peer: PeerInfo): "current" | "lagging" | "offline" {
  if (peer.offline || peer.active > OFFLINE_AFTER_NS) return "offline";
  return peer.current ? "current" : "lagging";
}

function bytes(value: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
