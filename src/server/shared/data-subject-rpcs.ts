// The erasure side of shared.profiles.v1.ProfilesService: DeleteDataSubject records a request and queues it for the
// erasure worker (src/workers/profile/erasure-worker.ts); GetDeletionRequest reports how far it got.

import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ComplianceRequestStatus } from "../../gen/shared/profiles/v1/profiles_pb.ts";
import { type DeletionRequest, type DeletionStatus, getDeletionRequest, InvalidExternalId, requestErasure } from "../../store/deletion-requests.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { SharedDeps } from "./shared-deps.ts";

const STATUS: Record<DeletionStatus, ComplianceRequestStatus> = {
  pending: ComplianceRequestStatus.PENDING,
  processing: ComplianceRequestStatus.PROCESSING,
  completed: ComplianceRequestStatus.COMPLETED,
  failed: ComplianceRequestStatus.FAILED,
};

export const deletionStatus = (status: DeletionStatus): ComplianceRequestStatus => STATUS[status];

/** Records and queues the erasure of one person; errors as the wire should see them. */
export async function eraseDataSubject(deps: SharedDeps, projectId: string, externalId: string): Promise<DeletionRequest> {
  try {
    return await requestErasure({ sql: deps.sql, nats: deps.nats }, projectId, externalId);
  } catch (error) {
    if (error instanceof InvalidExternalId) throw new ConnectError(error.message, Code.InvalidArgument);
    deps.log.warn("cannot record an erasure request", { project_id: projectId, error });
    throw new ConnectError("cannot record the erasure request right now (nothing was recorded); retry", Code.Unavailable, undefined, undefined, error);
  }
}

export async function deletionRequestReply(deps: SharedDeps, projectId: string, requestId: string) {
  if (requestId === "") throw new ConnectError("request_id: required", Code.InvalidArgument);
  const request = await getDeletionRequest(deps.sql, projectId, requestId);
  if (!request) throw new ConnectError(`no deletion request with id ${requestId} in this project`, Code.NotFound);
  return {
    requestId: request.id,
    externalId: request.externalId,
    profileId: request.profileId ?? "",
    status: deletionStatus(request.status),
    eventsIdentified: BigInt(request.eventsIdentified),
    requestedAt: timestampFromDate(request.requestedAt),
    completedAt: request.completedAt ? timestampFromDate(request.completedAt) : undefined,
    error: request.error,
  };
}
