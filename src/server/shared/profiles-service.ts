// shared.profiles.v1.ProfilesService: people from Postgres (the truth), with their activity from ClickHouse.
// The caller's project comes from the auth boundary; every read and write is confined to it.
// Delete and DeleteDataSubject both erase the person (data-subject-rpcs.ts); Delete also hides the profile at once.

import { create, toBinary } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { decodePageToken, encodePageToken, type ListPosition } from "../../domain/profiles/page-token.ts";
import { profileFilterSql, type SqlCondition } from "../../domain/profiles/profile-filter-sql.ts";
import { ProfileRefreshSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { FilterGroup, LogicalOperator } from "../../gen/common/v1/filters_pb.ts";
import type { ProfilesService } from "../../gen/shared/profiles/v1/profiles_pb.ts";
import { getProfile, getProfileByExternalId, LIST_PARAMS_BEFORE_FILTER, listProfiles, type ProfileRow, softDeleteProfile } from "../../store/profile-queries.ts";
import { callerOf } from "../auth/caller.ts";
import { deletionRequestReply, deletionStatus, eraseDataSubject } from "./data-subject-rpcs.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import { profilesWithActivity } from "./person-activity.ts";
import type { SharedDeps } from "./shared-deps.ts";
import { isUuid } from "../../domain/uuid.ts";

export const PAGE_SIZE = 100;

export function profilesService(deps: SharedDeps): ServiceImpl<typeof ProfilesService> {
  const found = async (projectId: string, row: ProfileRow | undefined, what: string) => {
    if (!row) throw new ConnectError(`no profile with ${what} in this project`, Code.NotFound);
    const [profile] = await profilesWithActivity(deps, projectId, [row]);
    return { profile };
  };

  return {
    async get(request, ctx) {
      const { projectId } = callerOf(ctx);
      const id = profileId(request.id, "id");
      return await found(projectId, await getProfile(deps.sql, projectId, id), `id ${id}`);
    },

    async getByExternalId(request, ctx) {
      const { projectId } = callerOf(ctx);
      if (request.externalId === "") throw new ConnectError("external_id: required", Code.InvalidArgument);
      return await found(projectId, await getProfileByExternalId(deps.sql, projectId, request.externalId), "that external_id");
    },

    async *list(request, ctx) {
      const { projectId } = callerOf(ctx);
      let after = listStart(request.pageToken);
      const filter = listFilter(request.filterGroups, request.filterGroupsOperator);
      for (let first = true; !ctx.signal.aborted; first = false) {
        const rows = await listProfiles(deps.sql, projectId, after, filter, PAGE_SIZE + 1);
        const page = rows.slice(0, PAGE_SIZE);
        const last = page.at(-1);
        after = rows.length > PAGE_SIZE && last ? { createdAt: last.created_key, id: last.id } : undefined;
        // An empty list is still one (empty) page, so the client can tell "nothing" from a dropped stream.
        if (page.length > 0 || first) {
          yield { profiles: await profilesWithActivity(deps, projectId, page), nextPageToken: after ? encodePageToken(after) : "" };
        }
        if (!after) return;
      }
    },

    async delete(request, ctx) {
      const { projectId } = callerOf(ctx);
      const id = profileId(request.id, "id");
      const row = await getProfile(deps.sql, projectId, id);
      if (!row) throw new ConnectError(`no profile with id ${id} in this project`, Code.NotFound);
      // Erasure first: if hiding the profile then fails, the caller retries and the erasure is under way anyway;
      // the other order could leave a hidden profile that nothing erases.
      const erasure = await eraseDataSubject(deps, projectId, row.external_id);
      // The refresh is queued inside the transaction: if it cannot be queued nothing is hidden and the caller
      // retries; if the commit fails after it was queued, the worker rewrites an unchanged profile (harmless).
      await deps.sql.begin(async (tx) => {
        const deleted = await softDeleteProfile(tx, projectId, id);
        if (!deleted) return; // erased or deleted meanwhile
        const nats = await deps.nats();
        const body = toBinary(ProfileRefreshSchema, create(ProfileRefreshSchema, { projectId, profileId: id }));
        try {
          await nats.js.publish(nats.names.subject("profiles", "refresh"), body, { msgID: `refresh-${id}-${deleted.version}`, timeout: 3_000 });
        } catch (error) {
          deps.log.warn("cannot queue a profile refresh; the profile stays visible until its erasure completes", { project_id: projectId, profile_id: id, error });
          throw new ConnectError("the erasure is recorded, but hiding the profile failed; retry", Code.Unavailable, undefined, undefined, error);
        }
      });
      return { requestId: erasure.id, status: deletionStatus(erasure.status) };
    },

    async deleteDataSubject(request, ctx) {
      const { projectId } = callerOf(ctx);
      const erasure = await eraseDataSubject(deps, projectId, request.externalId);
      return { requestId: erasure.id, status: deletionStatus(erasure.status) };
    },

    async getDeletionRequest(request, ctx) {
      return await deletionRequestReply(deps, callerOf(ctx).projectId, request.requestId);
    },
  };
}

function profileId(value: string, field: string): string {
  if (value === "") throw new ConnectError(`${field}: required`, Code.InvalidArgument);
  if (!isUuid(value)) throw new ConnectError(`${field}: not a profile id (a UUID)`, Code.InvalidArgument);
  return value.toLowerCase();
}

function listStart(token: string): ListPosition | undefined {
  if (token === "") return undefined;
  const position = decodePageToken(token);
  if (!position) throw new ConnectError("page_token: not a token this server issued; pass next_page_token unchanged, or nothing for the first page", Code.InvalidArgument);
  return position;
}

/** A bad filter throws a FieldError, which the service's interceptor answers as invalid_argument. */
function listFilter(groups: FilterGroup[], operator: LogicalOperator): SqlCondition {
  return profileFilterSql(groups, operator, "traits", LIST_PARAMS_BEFORE_FILTER);
}
