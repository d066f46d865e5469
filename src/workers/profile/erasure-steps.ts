// Carrying out one erasure request, step by step. Every step can be run again (after a crash, or by a redelivery)
// and ends in the same state, so the request completes however often it was interrupted.
//
// The order matters:
// 1. Wait until every writer's tombstone snapshot holds the request's tombstones (TOMBSTONE_MAX_AGE_MS), so from
//    then on no writer converts data of the person, and no new alias of theirs appears in Postgres (their identify
//    calls are dropped). Only then are the person's ids collected again: any alias linked meanwhile is found, gets
//    a tombstone, and is waited for in turn.
// 2. Wait until the writers committed everything queued before that point: rows converted before the tombstones
//    were seen must land before the deletion, not after it.
// 3. Count the events, then delete the profile and alias rows in Postgres, wait for the profile writer once more
//    (a profile refresh read from Postgres before the deletion must not write the mirror after it), and only then
//    delete in ClickHouse. The ids stay in the request's tombstones, so a later attempt still knows them.
// 4. Complete the request and set the tombstones' cutoff: data received from now on is kept again.

import type { App } from "../../app/app.ts";
import type { Nats } from "../../infra/nats.ts";
import {
  addTombstones,
  completeRequest,
  type DeletionRequest,
  deleteProfileRows,
  personIds,
  recordEventsIdentified,
  tombstonedIds,
} from "../../store/deletion-requests.ts";
import { TOMBSTONE_MAX_AGE_MS } from "../../store/erasure-tombstones.ts";
import { sleep } from "../../domain/backoff.ts";
import { countPersonEvents, deletePersonRows } from "./erasure-clickhouse.ts";
import { EVENTS_WRITER, PROFILE_WRITER, waitForWriters } from "./erasure-writers.ts";

/** How long the writers may take to commit what was queued before an erasure, before it fails. */
export const WRITERS_CATCH_UP_MS = 10 * 60_000;

export interface StepContext {
  app: App;
  nats: Nats;
  signal: AbortSignal;
  /** Keeps the delivery that asked for this alive. */
  keepAlive: () => void;
}

/** Past the tombstones' snapshot age, with a margin for a reload that was already under way. */
const SNAPSHOT_WAIT_MS = TOMBSTONE_MAX_AGE_MS + 250;

export async function carryOutErasure(request: DeletionRequest, ctx: StepContext): Promise<void> {
  const sql = ctx.app.postgres();
  const log = ctx.app.log.child({ request_id: request.id, project_id: request.projectId });
  await pause(SNAPSHOT_WAIT_MS, ctx);
  const ids = await allIds(request, ctx);
  log.info("erasing a person", { ids: ids.length });

  const waitOptions = { timeoutMs: WRITERS_CATCH_UP_MS, signal: ctx.signal, onWait: ctx.keepAlive };
  await waitForWriters(sql, ctx.nats, [EVENTS_WRITER, PROFILE_WRITER], waitOptions);
  const ch = ctx.app.clickhouse();
  await recordEventsIdentified(sql, request.id, await countPersonEvents(ch, request.projectId, ids));
  ctx.keepAlive();

  await deleteProfileRows(sql, request.projectId, ids);
  await waitForWriters(sql, ctx.nats, [PROFILE_WRITER], waitOptions);
  await deletePersonRows({ client: ch, cluster: ctx.app.config.clickhouse.cluster }, request.projectId, request.externalId, ids);
  ctx.keepAlive();

  await completeRequest(sql, request.id);
  log.info("erasure completed", { ids: ids.length });
}

/** The ids tombstoned so far and those the person has now; new ones are tombstoned and waited for. */
async function allIds(request: DeletionRequest, ctx: StepContext): Promise<string[]> {
  const sql = ctx.app.postgres();
  const known = new Set(await tombstonedIds(sql, request.id));
  const added = await addTombstones(sql, request, (await personIds(sql, request.projectId, request.externalId)).filter((id) => !known.has(id)));
  if (added.length > 0) {
    ctx.app.log.info("the person has ids new since the request; waiting until the writers drop them too", { request_id: request.id, added: added.length });
    await pause(SNAPSHOT_WAIT_MS, ctx);
  }
  return [...known, ...added].sort();
}

async function pause(ms: number, ctx: StepContext): Promise<void> {
  await sleep(ms, ctx.signal);
  if (ctx.signal.aborted) throw new Error("stopped while carrying out an erasure");
}
