// A person's distinct ids (external id and aliases) and their activity, for one profile or a whole page.

import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { JsonObject } from "@bufbuild/protobuf";
import type { ProfileSchema } from "../../gen/shared/profiles/v1/profiles_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { aliasesOf, type ProfileRow } from "../../store/profile-queries.ts";
import { type Activity, activityOf } from "./activity-reads.ts";
import type { SharedDeps } from "./shared-deps.ts";

/** Each profile's distinct ids, keyed by profile id. */
export async function distinctIdsOf(deps: SharedDeps, projectId: string, rows: ProfileRow[]): Promise<Map<string, string[]>> {
  const aliases = await aliasesOf(deps.sql, projectId, rows.map((row) => row.id));
  return new Map(rows.map((row) => [row.id, [row.external_id, ...(aliases.get(row.id) ?? [])]]));
}

/** Profiles as the API returns them, with their activity read in one query for all of them. */
export async function profilesWithActivity(deps: SharedDeps, projectId: string, rows: ProfileRow[]): Promise<MessageInitShape<typeof ProfileSchema>[]> {
  const activity = await activityOf(deps.clickhouse, projectId, await distinctIdsOf(deps, projectId, rows));
  return rows.map((row) => profileMessage(row, activity.get(row.id)));
}

function profileMessage(row: ProfileRow, activity: Activity | undefined): MessageInitShape<typeof ProfileSchema> {
  return {
    id: row.id,
    projectId: row.project_id,
    externalId: row.external_id,
    properties: row.traits as JsonObject,
    createTime: timestampFromDate(row.created_at),
    updateTime: timestampFromDate(row.updated_at),
    activity: activity && {
      ...activity,
      firstSeen: timestampFromDate(activity.firstSeen),
      lastSeen: timestampFromDate(activity.lastSeen),
    },
  };
}
