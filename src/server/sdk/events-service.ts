// sdk.events.v1.EventsService: the intake of Pug's web SDK. A reply with `accepted: n` means n events are
// stored in JetStream; nothing is acknowledged before that.

import type { ServiceImpl } from "@connectrpc/connect";
import type { Metrics } from "../../app/metrics.ts";
import { type DropReason, intakeDropReason } from "../../domain/ingest/drop-reasons.ts";
import { validateBatch } from "../../domain/ingest/validate-batch.ts";
import type { Event, EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Logger } from "../../logger.ts";
import { callerOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { ClientFactsSource } from "./client-facts-source.ts";
import { MessageTooLarge, publishEvents } from "./ingest-publisher.ts";
import { clientIpKey, userAgentKey } from "../request-context.ts";
import { queueFull, refuseQueueing } from "./queue-full.ts";
import { eventBatchBytes, type QueueRoom } from "./queue-room.ts";
import { enforceRateLimit, type RateLimiter } from "./rate-limiter.ts";

export interface IntakeDeps {
  limiter: RateLimiter;
  room: QueueRoom;
  nats: () => Promise<Nats>;
  metrics: Metrics;
  log: Logger;
  limits: { projectEventsPerSecond: number; projectIdentifyPerSecond: number };
  /** Geo and cookieless visitor hash from the client IP: only these are queued, never the IP. */
  clientFacts: ClientFactsSource;
}

export function eventsService(deps: IntakeDeps): ServiceImpl<typeof EventsService> {
  return {
    async batchCreate(request, ctx) {
      // The per-IP limit was taken by the HTTP layer (rate-limiter.ts) before the body was even read.
      const owner = callerOf(ctx);
      const clientIp = ctx.values.get(clientIpKey);

      const problems = validateBatch(request.events);
      if (problems.length > 0) throw new ConnectError(problems.join("; "), Code.InvalidArgument);
      await enforceRateLimit(deps.limiter, `project:${owner.projectId}`, deps.limits.projectEventsPerSecond, request.events.length, "events for this project");

      const now = Date.now();
      const kept: Event[] = [];
      /** Where each kept event was in the request, for errors that name it. */
      const keptAt: number[] = [];
      let cookieless = false;
      const dropped: Partial<Record<DropReason, number>> = {};
      request.events.forEach((event, index) => {
        const reason = intakeDropReason(event, owner.projectId, now);
        if (reason) dropped[reason] = (dropped[reason] ?? 0) + 1;
        else {
          kept.push(event);
          keptAt.push(index);
          cookieless ||= event.cookieless;
        }
      });

      if (kept.length > 0) {
        const userAgent = ctx.values.get(userAgentKey);
        const done = deps.room.admit("events", eventBatchBytes(ctx.requestHeader));
        if (!done) throw queueFull(deps, "event");
        try {
          const client = await deps.clientFacts(owner.projectId, clientIp, userAgent, cookieless, now);
          await publishEvents(await deps.nats(), kept, { projectId: owner.projectId, client, userAgent, receivedAt: now });
        } catch (error) {
          if (error instanceof MessageTooLarge) throw new ConnectError(`events[${keptAt[error.index]}]: ${error.message}`, Code.InvalidArgument);
          throw refuseQueueing(deps, "event", error, { project_id: owner.projectId, events: kept.length });
        } finally {
          done();
        }
      }

      deps.metrics.intakeEvents.inc({ outcome: "accepted", reason: "" }, kept.length);
      for (const [reason, count] of Object.entries(dropped)) deps.metrics.intakeEvents.inc({ outcome: "dropped", reason }, count);
      const droppedTotal = request.events.length - kept.length;
      return { accepted: kept.length, dropped: droppedTotal, droppedByReason: dropped as Record<string, number> };
    },
  };
}
