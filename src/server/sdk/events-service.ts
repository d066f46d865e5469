// sdk.events.v1.EventsService: the intake of Pug's web SDK. A reply with `accepted: n` means n events are
// stored in JetStream; nothing is acknowledged before that.

import type { ServiceImpl } from "@connectrpc/connect";
import type { Metrics } from "../../app/metrics.ts";
import { type DropReason, intakeDropReason } from "../../domain/ingest/drop-reasons.ts";
import { validateBatch } from "../../domain/ingest/validate-batch.ts";
import type { Event, EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Logger } from "../../logger.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { ApiKeyStore } from "./api-key-store.ts";
import { authenticate } from "./authenticate.ts";
import type { ClientFactsSource } from "./client-facts-source.ts";
import { MessageTooLarge, publishEvents } from "./ingest-publisher.ts";
import { clientIpKey, userAgentKey } from "./intake-context.ts";
import type { RateLimiter } from "./rate-limiter.ts";

export interface IntakeDeps {
  keys: ApiKeyStore;
  limiter: RateLimiter;
  nats: () => Promise<Nats>;
  metrics: Metrics;
  log: Logger;
  limits: { ipRequestsPerSecond: number; projectEventsPerSecond: number };
  /** Geo and cookieless visitor hash from the client IP: only these are queued, never the IP. */
  clientFacts: ClientFactsSource;
}

export function eventsService(deps: IntakeDeps): ServiceImpl<typeof EventsService> {
  return {
    async batchCreate(request, ctx) {
      const owner = await authenticate(ctx, deps.keys);
      const clientIp = ctx.values.get(clientIpKey);
      await enforce(deps, `ip:${clientIp}`, deps.limits.ipRequestsPerSecond, 1, "requests from this address");

      const problems = validateBatch(request.events);
      if (problems.length > 0) throw new ConnectError(problems.join("; "), Code.InvalidArgument);
      await enforce(deps, `project:${owner.projectId}`, deps.limits.projectEventsPerSecond, request.events.length, "events for this project");

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
        try {
          const client = await deps.clientFacts(owner.projectId, clientIp, userAgent, cookieless, now);
          await publishEvents(await deps.nats(), kept, { projectId: owner.projectId, client, userAgent, receivedAt: now });
        } catch (error) {
          if (error instanceof MessageTooLarge) throw new ConnectError(`events[${keptAt[error.index]}]: ${error.message}`, Code.InvalidArgument);
          deps.log.warn("could not queue events", { project_id: owner.projectId, events: kept.length, error });
          throw new ConnectError("the event queue is unavailable; retry", Code.Unavailable, undefined, undefined, error);
        }
      }

      deps.metrics.intakeEvents.inc({ outcome: "accepted", reason: "" }, kept.length);
      for (const [reason, count] of Object.entries(dropped)) deps.metrics.intakeEvents.inc({ outcome: "dropped", reason }, count);
      const droppedTotal = request.events.length - kept.length;
      return { accepted: kept.length, dropped: droppedTotal, droppedByReason: dropped as Record<string, number> };
    },
  };
}

async function enforce(deps: IntakeDeps, bucket: string, limit: number, cost: number, what: string): Promise<void> {
  const decision = await deps.limiter.take(bucket, limit, cost);
  if (decision.allowed) return;
  throw new ConnectError(`too many ${what} (limit ${limit} per second); retry after ${decision.retryAfterSeconds} s`, Code.ResourceExhausted, {
    "retry-after": String(decision.retryAfterSeconds),
  });
}
