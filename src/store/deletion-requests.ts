// Data-subject erasure requests (migrations/postgres/0006_data_subject_erasure.sql): recording one, reading it back,
// and the Postgres steps of the worker that carries it out (src/workers/profile/erasure-worker.ts).
//
// A request is recorded, its tombstones written and its message published in one go: the message is published
// inside the transaction, before the commit. If publishing fails nothing is recorded and the caller sees the
// error (the API answers `unavailable`, the client asks again), so no request sits pending with nobody told. If
// the commit fails after publishing, the worker finds no such request and drops the message after its retries.
// A message lost later on (say, every delivery failed while Postgres was down) leaves a request pending or
// processing: the worker's sweep picks those up (`stalledRequests`).

import { create, toBinary } from "@bufbuild/protobuf";
import type postgres from "postgres";
import { validateIdentify } from "../domain/ingest/validate-identify.ts";
import { ErasureRequestedSchema } from "../gen/internal/compliance/v1/compliance_pb.ts";
import { IdentifyRequestSchema } from "../gen/sdk/profiles/v1/profiles_pb.ts";
import type { Nats } from "../infra/nats.ts";
import type { Sql } from "../infra/postgres.ts";
import { isUuid } from "../domain/uuid.ts";

type Db = Sql | postgres.TransactionSql;

export type DeletionStatus = "pending" | "processing" | "completed" | "failed";

export interface DeletionRequest {
  id: string;
  projectId: string;
  externalId: string;
  /** The live profile of the external id when the request was made, if there was one. */
  profileId: string | null;
  status: DeletionStatus;
  eventsIdentified: number;
  requestedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  error: string;
}

/** The external id cannot name a person; `message` starts with the field's name (`external_id: …`). */
export class InvalidExternalId extends Error {
  readonly field = "external_id";
}

export interface ErasureDeps {
  sql: Sql;
  nats: () => Promise<Nats>;
}

export async function requestErasure(deps: ErasureDeps, projectId: string, externalId: string): Promise<DeletionRequest> {
  // The same rules as identify calls, through which external ids come to exist; cookieless ids are never people.
  const problem = validateIdentify(create(IdentifyRequestSchema, { externalId }))[0];
  if (problem) throw new InvalidExternalId(problem);
  const nats = await deps.nats();
  return await deps.sql.begin(async (tx) => {
    const [row] = await tx<RequestRow[]>`
      INSERT INTO deletion_requests (project_id, external_id, profile_id)
      VALUES (${projectId}, ${externalId},
              (SELECT id FROM profiles WHERE project_id = ${projectId} AND external_id = ${externalId} AND deleted_at IS NULL))
      RETURNING *`;
    const request = fromRow(row!);
    await addTombstones(tx, request, await personIds(tx, projectId, externalId));
    const message = create(ErasureRequestedSchema, { requestId: request.id, projectId });
    await nats.js.publish(nats.names.subject("compliance", "erase"), toBinary(ErasureRequestedSchema, message), { msgID: request.id, timeout: 3_000 });
    return request;
  });
}

/** The request, or undefined when there is none of that id in this project. */
export async function getDeletionRequest(sql: Sql, projectId: string, requestId: string): Promise<DeletionRequest | undefined> {
  if (!isUuid(requestId) || !isUuid(projectId)) return undefined;
  const [row] = await sql<RequestRow[]>`SELECT * FROM deletion_requests WHERE id = ${requestId} AND project_id = ${projectId}`;
  return row ? fromRow(row) : undefined;
}


/**
 * Every distinct id of the person now: the external id, the external ids of anonymous profiles merged into their
 * profiles, and the aliases of all of these. Soft-deleted profiles of the external id count too: deleting a
 * profile from the API does not erase what it did.
 */
export async function personIds(db: Db, projectId: string, externalId: string): Promise<string[]> {
  const rows = await db<{ id: string }[]>`
    WITH person AS (
      SELECT id FROM profiles WHERE project_id = ${projectId} AND external_id = ${externalId}
    ), merged AS (
      SELECT id, external_id FROM profiles WHERE project_id = ${projectId} AND merged_into IN (SELECT id FROM person)
    )
    SELECT ${externalId}::text AS id
    UNION SELECT external_id FROM merged
    UNION SELECT alias_id FROM profile_aliases
          WHERE project_id = ${projectId} AND profile_id IN (SELECT id FROM person UNION ALL SELECT id FROM merged)`;
  return rows.map((row) => row.id).sort();
}

/** Tombstones (running: no cutoff) for these ids; returns the ids that had none for this request yet. */
export async function addTombstones(db: Db, request: Pick<DeletionRequest, "id" | "projectId">, ids: string[]): Promise<string[]> {
  const rows = await db<{ distinct_id: string }[]>`
    INSERT INTO erasure_tombstones (project_id, distinct_id, request_id)
    SELECT ${request.projectId}, id, ${request.id} FROM unnest(${ids}::text[]) AS id
    ON CONFLICT DO NOTHING
    RETURNING distinct_id`;
  return rows.map((row) => row.distinct_id);
}

/** The ids this request has tombstoned: after its profile rows are deleted, the only record of who they were. */
export async function tombstonedIds(sql: Sql, requestId: string): Promise<string[]> {
  const rows = await sql<{ distinct_id: string }[]>`SELECT distinct_id FROM erasure_tombstones WHERE request_id = ${requestId} ORDER BY distinct_id`;
  return rows.map((row) => row.distinct_id);
}

/** Marks the request processing; undefined when it is finished already (completed or failed) or does not exist. */
export async function startProcessing(sql: Sql, requestId: string): Promise<DeletionRequest | undefined> {
  const [row] = await sql<RequestRow[]>`
    UPDATE deletion_requests SET status = 'processing', started_at = coalesce(started_at, now())
    WHERE id = ${requestId} AND status IN ('pending', 'processing')
    RETURNING *`;
  return row ? fromRow(row) : undefined;
}

/**
 * The count is taken before anything is deleted, and a later attempt (after a crash past the deletion) counts
 * fewer: keeping the larger makes it the count of the first attempt that got that far.
 */
export async function recordEventsIdentified(sql: Sql, requestId: string, events: number): Promise<void> {
  await sql`UPDATE deletion_requests SET events_identified = greatest(events_identified, ${events}) WHERE id = ${requestId}`;
}

/** Deletes the person's profile and alias rows (profiles merged into theirs included: their ids are among `ids`). */
export async function deleteProfileRows(sql: Sql, projectId: string, ids: string[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM profile_aliases WHERE project_id = ${projectId} AND alias_id = ANY(${ids}::text[])`;
    // Aliases of these profiles go with them (ON DELETE CASCADE).
    await tx`DELETE FROM profiles WHERE project_id = ${projectId} AND external_id = ANY(${ids}::text[])`;
  });
}

/** Completed; from now on the writers keep data of these ids again, and drop only what was received before. */
export async function completeRequest(sql: Sql, requestId: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`UPDATE deletion_requests SET status = 'completed', completed_at = now(), error = '' WHERE id = ${requestId} AND status = 'processing'`;
    await tx`UPDATE erasure_tombstones SET cutoff = now() WHERE request_id = ${requestId} AND cutoff IS NULL`;
  });
}

/** Failed for good. Its tombstones stay running: nothing of the person is stored until a new request succeeds. */
export async function failRequest(sql: Sql, requestId: string, error: string): Promise<void> {
  await sql`UPDATE deletion_requests SET status = 'failed', error = ${error.slice(0, 2_000)} WHERE id = ${requestId} AND status IN ('pending', 'processing')`;
}

/**
 * Requests nobody may be working on: processing (whoever started died, or waits for a redelivery) or pending for
 * longer than a queued message takes to arrive. The caller locks each before carrying it out.
 */
export async function stalledRequests(sql: Sql, pendingForSeconds: number): Promise<{ id: string; projectId: string }[]> {
  const rows = await sql<{ id: string; project_id: string }[]>`
    SELECT id, project_id FROM deletion_requests
    WHERE status = 'processing' OR (status = 'pending' AND requested_at < now() - make_interval(secs => ${pendingForSeconds}))
    ORDER BY requested_at
    LIMIT 100`;
  return rows.map((row) => ({ id: row.id, projectId: row.project_id }));
}

interface RequestRow {
  id: string;
  project_id: string;
  external_id: string;
  profile_id: string | null;
  status: DeletionStatus;
  events_identified: string;
  requested_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  error: string;
}

function fromRow(row: RequestRow): DeletionRequest {
  return {
    id: row.id,
    projectId: row.project_id,
    externalId: row.external_id,
    profileId: row.profile_id,
    status: row.status,
    eventsIdentified: Number(row.events_identified),
    requestedAt: row.requested_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    error: row.error,
  };
}
