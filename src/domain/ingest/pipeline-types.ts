// The shape every enrichment stage shares: it takes the event being built and either returns it (usually with
// a field put on it) or drops it with a reason from a closed set.

import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import type { EventRow } from "./event-row.ts";

/** Facts about the request that carried the event, shared by every event of one batch. */
export interface RequestFacts {
  projectId: string;
  clientIp: string;
  userAgent: string;
  receivedAtMs: number;
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
  geo(ip: string): GeoFacts;
  /** HMAC of the input under today's cookieless salt, hex. */
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
