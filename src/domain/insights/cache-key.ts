// Which cached answer a Query request (or an event explorer page) may reuse, and for how long. Two requests share a key exactly when they ask
// the same question: the key hashes the request's canonical protobuf binary (fields in number order, whatever the
// JSON spelling or order was), with what the answer does not depend on left out (the ignored `timezone`, unknown
// fields, time below the millisecond the window rounds to) and what it does depend on added (the project and its
// reporting time zone). A key never mixes projects: the project id is a part of it, not only of the hash input.

import { clone, create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type GetFilterSchemaRequest, GetFilterSchemaRequestSchema } from "../../gen/common/v1/filter_schema_pb.ts";
import { TimeRangeSchema } from "../../gen/common/v1/time_pb.ts";
import { type GetEventExplorerRequest, GetEventExplorerRequestSchema } from "../../gen/shared/activity/v1/activity_pb.ts";
import { type QueryRequest, QueryRequestSchema } from "../../gen/shared/insights/v1/insights_pb.ts";
import type { TimeWindow } from "./time-window.ts";

/** Bumped when the meaning of a cached answer changes (a new response shape), so old entries are never read. */
export const CACHE_KEY_VERSION = "q1";
/** How long an answer about the past is reused: late events (offline SDK batches) show within this. */
export const SETTLED_TTL_SECONDS = 30;
/**
 * How long an answer whose range reaches into the last minute (or the future) is reused: events of that minute are
 * still arriving, and a dashboard refreshing a live chart should see them within seconds.
 */
export const LIVE_TTL_SECONDS = 5;
/** A range ending later than this before now counts as live. */
export const LIVE_MARGIN_MS = 60_000;

export interface QueryCacheKey {
  /** Parts of the Redis key after the configured prefix: `insights`, version, project id, digest. */
  parts: string[];
  ttlSeconds: number;
}

export function queryCacheKey(projectId: string, request: QueryRequest, window: TimeWindow, nowMs: number): QueryCacheKey {
  const canonical = clone(QueryRequestSchema, request);
  canonical.timezone = "";
  canonical.timeRange = create(TimeRangeSchema, { from: timestampFromMs(window.fromMs), to: timestampFromMs(window.toMs) });
  return messageKey("insights", QueryRequestSchema, projectId, canonical, window.timezone, window.toMs > nowMs - LIVE_MARGIN_MS);
}

/**
 * An event explorer page (the live view polls it): the request as sent, page token included. Without a time range,
 * or with one reaching into the last minute, it is live.
 */
export function explorerCacheKey(projectId: string, request: GetEventExplorerRequest, nowMs: number): QueryCacheKey {
  const to = request.timeRange?.to;
  const live = !to || timestampMs(to) > nowMs - LIVE_MARGIN_MS;
  return messageKey("explorer", GetEventExplorerRequestSchema, projectId, request, "", live);
}

/** A filter schema (the insights editor asks on every opening): new names show up within the settled TTL. */
export function filterSchemaCacheKey(projectId: string, request: GetFilterSchemaRequest): QueryCacheKey {
  return messageKey("schema", GetFilterSchemaRequestSchema, projectId, request, "", false);
}

function messageKey<Desc extends DescMessage>(kind: string, schema: Desc, projectId: string, canonical: MessageShape<Desc>, context: string, live: boolean): QueryCacheKey {
  const digest = new Bun.CryptoHasher("sha256")
    .update(context)
    .update("\0")
    .update(toBinary(schema, canonical, { writeUnknownFields: false }))
    .digest("hex")
    .slice(0, 40);
  return { parts: [kind, CACHE_KEY_VERSION, projectId, digest], ttlSeconds: live ? LIVE_TTL_SECONDS : SETTLED_TTL_SECONDS };
}
