// The events worker's enrichment, in order. The list is the documentation: each stage is a pure function in
// ./stages, tested on its own with plain data.

import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import type { EventRow } from "./event-row.ts";
import { newWorkingEvent } from "./new-row.ts";
import { type Drop, isDrop, type RequestFacts, type Stage, type StageContext } from "./pipeline-types.ts";
import { putChannel } from "./stages/put-channel.ts";
import { putCookielessIds } from "./stages/put-cookieless-ids.ts";
import { putGeo } from "./stages/put-geo.ts";
import { putPageFacts } from "./stages/put-page-facts.ts";
import { putReferrer } from "./stages/put-referrer.ts";
import { putUrl } from "./stages/put-url.ts";
import { putUserAgent } from "./stages/put-user-agent.ts";

export const stages: [name: string, stage: Stage][] = [
  ["putCookielessIds", putCookielessIds],
  ["putUserAgent", putUserAgent],
  ["putGeo", putGeo],
  ["putUrl", putUrl],
  ["putReferrer", putReferrer],
  ["putChannel", putChannel],
  ["putPageFacts", putPageFacts],
];

export function enrich(event: Event, request: RequestFacts, ctx: StageContext): EventRow | Drop {
  let working = newWorkingEvent(event, request);
  for (const [, stage] of stages) {
    const next = stage(working, ctx);
    if (isDrop(next)) return next;
    working = next;
  }
  return working.row;
}
