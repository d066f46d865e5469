// sdk.events.v1.EventsService over Connect: the JSON and gzip forms of BatchCreate (and any other request the
// fast path, batch-create-fast.ts, passes on). The intake itself is events-intake.ts.

import type { ServiceImpl } from "@connectrpc/connect";
import type { EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import { callerOf } from "../auth/caller.ts";
import { clientIpKey, requestBodyKey, userAgentKey } from "../request-context.ts";
import { type IntakeDeps, intakeEvents } from "./events-intake.ts";

export function eventsService(deps: IntakeDeps): ServiceImpl<typeof EventsService> {
  return {
    async batchCreate(request, ctx) {
      // A binary body comes undecoded (sdk-routes.ts); `request` is then empty.
      const body = ctx.values.get(requestBodyKey);
      return await intakeEvents(deps, {
        caller: callerOf(ctx),
        clientIp: ctx.values.get(clientIpKey),
        userAgent: ctx.values.get(userAgentKey),
        request: body ? { body } : { events: request.events },
      });
    },
  };
}
