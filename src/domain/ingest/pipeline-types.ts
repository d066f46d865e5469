// The shape every enrichment stage shares: it takes the event being built and either returns it (usually with
// a field put on it) or drops it with a reason from a closed set.

import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import type { EventRow } from "./event-row.ts";

/** Facts about the request that carried the event, shared by every event of one batch. */
export interface RequestFacts {
  projectId: string;
  userAgent: string;
  receivedAtMs: number;
  /** Derived from the client IP at intake; the IP itself is not kept. */
  geo: GeoFacts;
  /** Hex HMAC naming a cookieless visitor for one day (see client-facts.ts); "" when no event is cookieless. */
  visitorHash: string;
}

export interface UserAgentFacts {
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  deviceType: string;
  isBot: boolean;
}

export interface GeoFacts {
  country: string;
  region: string;
  city: string;
}

/** Lookups a stage may use. They are pure functions of their input; the worker memoises them. */
export interface StageContext {
  userAgent(ua: string): UserAgentFacts;
}

/** What turns a client IP into client facts: intake uses it, and the worker for messages of older servers. */
export interface ClientLookups {
  geo(ip: string): GeoFacts;
  /** HMAC of the input under the cookieless salt of the request's day, hex. */
  cookielessHash(input: string): string;
}

export interface WorkingEvent {
  event: Event;
  request: RequestFacts;
  row: EventRow;
}

// None yet: bots are flagged (is_bot), not dropped. New reasons join this closed set and /metrics.
export const WORKER_DROP_REASONS = [] as const;
export type WorkerDropReason = (typeof WORKER_DROP_REASONS)[number];
export interface Drop {
  drop: WorkerDropReason;
}

export type Stage = (event: WorkingEvent, ctx: StageContext) => WorkingEvent | Drop;

export const isDrop = <T extends object>(value: T | Drop): value is Drop => "drop" in value;
