// sdk.profiles.v1.ProfilesSDKService: identify calls are validated and queued on JetStream for the profile
// worker; the reply comes once they are stored.

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { storableTraits, validateIdentify } from "../../domain/ingest/validate-identify.ts";
import { IdentifyCallSchema } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { ProfilesSDKService } from "../../gen/sdk/profiles/v1/profiles_pb.ts";
import { callerOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { IntakeDeps } from "./events-intake.ts";
import { MessageTooLarge, queueMessageLimit } from "./ingest-publisher.ts";
import { queueFull, refuseQueueing } from "./queue-full.ts";
import { enforceRateLimit } from "./rate-limiter.ts";

export function profilesSdkService(deps: IntakeDeps): ServiceImpl<typeof ProfilesSDKService> {
  return {
    async identify(request, ctx) {
      const owner = callerOf(ctx);
      await enforceRateLimit(deps.limiter, `identify:${owner.projectId}`, deps.limits.projectIdentifyPerSecond, 1, "identify calls for this project");
      const problems = validateIdentify(request);
      if (problems.length > 0) throw new ConnectError(problems.join("; "), Code.InvalidArgument);
      const call = create(IdentifyCallSchema, { projectId: owner.projectId, receivedAt: timestampFromMs(Date.now()), request: storableTraits(request) });
      const body = toBinary(IdentifyCallSchema, call);
      const msgID = new Bun.CryptoHasher("sha256").update(owner.projectId).update(toBinary(IdentifyCallSchema, { ...call, receivedAt: undefined })).digest("hex").slice(0, 40);
      const done = deps.room.admit("profiles", body.byteLength);
      if (!done) throw queueFull(deps, "profile");
      try {
        const nats = await deps.nats();
        const limit = queueMessageLimit(nats);
        if (body.byteLength > limit) throw new MessageTooLarge(0, body.byteLength, limit);
        await nats.js.publish(nats.names.subject("profiles", "identify"), body, { msgID, timeout: 3_000 });
      } catch (error) {
        if (error instanceof MessageTooLarge) throw new ConnectError(`identify request: ${error.message}`, Code.InvalidArgument);
        throw refuseQueueing(deps, "profile", error, { project_id: owner.projectId });
      } finally {
        done();
      }
      return {};
    },
  };
}
