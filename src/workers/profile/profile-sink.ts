// The `profiles` stream as the writer sees it (src/pipeline/): identify calls are applied to Postgres, the truth
// for identity, and each message becomes the mirror rows of what it touched, as Postgres holds them after it;
// a refresh (a change made elsewhere, e.g. a delete from the API) becomes the current rows of one profile.
//
// Applying is idempotent (a replayed call finds its traits stamped and its alias in place, and changes nothing),
// so a message converted again after a crash is harmless, and its rows are those of the state it left.

import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { App } from "../../app/app.ts";
import type { IdentifyPlan } from "../../domain/identity/identify-decision.ts";
import { validateIdentify } from "../../domain/ingest/validate-identify.ts";
import { type IdentifyCall, IdentifyCallSchema, ProfileRefreshSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Conversion, TableSink } from "../../pipeline/types.ts";
import type { ErasureTombstones } from "../../store/erasure-tombstones.ts";
import { applyIdentify, type IdentityRows, profileWithAliases } from "../../store/profiles.ts";
import { type MirrorRow, mirrorRows, PROFILES_TABLE, splitMirrorRows } from "./identity-mirror.ts";
import { postgresRefusal } from "./postgres-refusal.ts";
import { isUuid } from "../../domain/uuid.ts";

export const PROFILES_STREAM = "profiles";
export const PROFILES_CONSUMER = "profile-worker";

/** Transactions at once: most of Postgres' pool (10), leaving room for the ledger and the erasure loop. */
const CONVERT_CONCURRENCY = 6;
/** Identify messages are small and their rows few: a write every few hundred ms at most keeps profiles fresh. */
const LIMITS = { maxRows: 2_000, maxBytes: 4 * 1024 * 1024, maxWaitMs: 300 };

export function profileSink(app: App, nats: Nats, tombstones: ErasureTombstones): TableSink<MirrorRow> {
  const identifySubject = nats.names.subject(PROFILES_STREAM, "identify");
  const refreshSubject = nats.names.subject(PROFILES_STREAM, "refresh");
  const sql = app.postgres();

  /** The rows of what Postgres holds now, or a refusal when Postgres will never take the message. */
  const rowsOf = async (projectId: string, read: () => Promise<IdentityRows>): Promise<Conversion<MirrorRow>> => {
    let state: IdentityRows;
    try {
      state = await read();
    } catch (error) {
      const refusal = postgresRefusal(error);
      if (!refusal) throw error;
      return { rows: [], reject: refusal };
    }
    const { rows, dropped } = mirrorRows(projectId, state, await tombstones.current());
    if (dropped > 0) app.metrics.erasedDropped.inc({ table: PROFILES_TABLE }, dropped);
    return { rows };
  };

  const identify = async (data: Uint8Array): Promise<Conversion<MirrorRow>> => {
    let call: IdentifyCall;
    try {
      call = fromBinary(IdentifyCallSchema, data);
    } catch (error) {
      return { rows: [], reject: { reason: "undecodable", detail: (error as Error).message } };
    }
    const problems = identifyProblems(call);
    if (problems.length > 0) return { rows: [], reject: { reason: "invalid_identify", detail: problems.join("; ") } };
    const { projectId } = call;
    const { externalId, anonymousId, traits = {} } = call.request!;
    // device_id is not stored: a person's devices are known from their events, and the SDK sends it for nothing else.
    const receivedMs = timestampMs(call.receivedAt!);
    const erased = await tombstones.current();
    if (erased.erased(projectId, externalId, receivedMs)) {
      // Dropped, not dead-lettered: a dead letter would keep the erased person's data.
      app.metrics.erasedDropped.inc({ table: PROFILES_TABLE });
      app.metrics.identifyCalls.inc({ outcome: "dropped_erased" });
      return { rows: [] };
    }
    const anonymousErased = anonymousId !== "" && erased.erased(projectId, anonymousId, receivedMs);
    let plan: IdentifyPlan | undefined;
    const conversion = await rowsOf(projectId, async () => {
      const applied = await applyIdentify(sql, { projectId, externalId, anonymousId, traits, receivedMs, anonymousErased });
      plan = applied.plan;
      return applied;
    });
    if (plan) count(app, plan, projectId);
    return conversion;
  };

  const refresh = async (data: Uint8Array): Promise<Conversion<MirrorRow>> => {
    let projectId: string;
    let profileId: string;
    try {
      ({ projectId, profileId } = fromBinary(ProfileRefreshSchema, data));
    } catch (error) {
      return { rows: [], reject: { reason: "undecodable", detail: (error as Error).message } };
    }
    if (!isUuid(projectId) || !isUuid(profileId)) return { rows: [], reject: { reason: "invalid_refresh", detail: "project_id and profile_id must be UUIDs" } };
    return rowsOf(projectId, () => profileWithAliases(sql, projectId, profileId));
  };

  return {
    table: PROFILES_TABLE,
    split: splitMirrorRows,
    stream: PROFILES_STREAM,
    consumer: PROFILES_CONSUMER,
    limits: LIMITS,
    // Each identify waits on its own Postgres transaction, so several run at once: applying is order-insensitive
    // (trait stamps), and calls naming the same id serialize on its lock (src/store/profiles.ts).
    convertConcurrency: CONVERT_CONCURRENCY,
    convert(message) {
      if (message.subject === identifySubject) return identify(message.data);
      if (message.subject === refreshSubject) return refresh(message.data);
      return Promise.resolve({ rows: [], reject: { reason: "unknown_subject", detail: `no profile message is published on ${message.subject}` } });
    },
  };
}

/** Intake validated the call already; checked again, since the queue may hold what an older or other server put. */
function identifyProblems(call: IdentifyCall): string[] {
  const problems: string[] = [];
  if (!isUuid(call.projectId)) problems.push("project_id: not a UUID");
  if (!call.receivedAt) problems.push("received_at: required");
  if (!call.request) problems.push("request: required");
  else problems.push(...validateIdentify(call.request));
  return problems;
}

function count(app: App, plan: IdentifyPlan, projectId: string): void {
  const { link } = plan;
  const changed = plan.targetTraits !== undefined || (link.kind === "link" && (link.alias !== "keep" || link.mergeAnonymous !== undefined));
  app.metrics.identifyCalls.inc({ outcome: changed ? "applied" : "unchanged" });
  if (link.kind === "refused") {
    app.metrics.identityLinks.inc({ outcome: "refused", reason: link.reason });
    app.log.info("identify: anonymous id not linked", { project_id: projectId, reason: link.reason });
  } else if (link.kind === "link") {
    const outcome = link.mergeAnonymous ? "merged" : link.alias === "keep" ? "already_linked" : "linked";
    app.metrics.identityLinks.inc({ outcome, reason: "" });
  }
}
