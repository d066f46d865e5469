// One seeding run as numbers: how many visitors, the time window, and the facts about a visitor that both
// ClickHouse (which draws the events) and Postgres (which holds the people) must agree on, computed here in the
// same integer arithmetic as in src/seed/traffic-sql.ts.

import { SHAPE } from "./traffic-model.ts";

export interface SeedOptions {
  projectId: string;
  events: number;
  days: number;
  /** Any integer in [0, 2^31): the same seed, events, days and end give the same rows. */
  seed: number;
  /** The window's end (ms); events fall in [end - days, end - 1 hour). */
  endMs: number;
}

export interface SeedPlan extends SeedOptions {
  windowSeconds: number;
  visitors: number;
}

export const MAX_SEED = 2 ** 31;

export function seedPlan(options: SeedOptions): SeedPlan {
  return {
    ...options,
    windowSeconds: options.days * 86_400,
    visitors: Math.max(1, Math.ceil(options.events / SHAPE.eventsPerVisitor)),
  };
}

/** The default end: the start of the current hour, so two runs within the hour give the same rows. */
export function defaultEndMs(now = Date.now()): number {
  return Math.floor(now / 3_600_000) * 3_600_000;
}

/** Visitors `anon-<v>`; one in SHAPE.knownEvery signs in as `user-<v>` at signedInAtMs. */
export const anonymousId = (visitor: number) => `anon-${visitor}`;
export const userId = (visitor: number) => `user-${visitor}`;
export const isKnown = (visitor: number) => visitor % SHAPE.knownEvery === 0;

/** Multiplier of the sign-in spread; small enough that visitor × it + seed stays exact in a double. */
export const SIGN_IN_SPREAD = 48_271;

/** When a known visitor signs in: their sessions from then on are under their user id. */
export function signedInAtMs(plan: SeedPlan, visitor: number): number {
  return plan.endMs - plan.windowSeconds * 1000 + ((visitor * SIGN_IN_SPREAD + plan.seed) % plan.windowSeconds) * 1000;
}

/** How many visitors sign in: 0, knownEvery, 2 × knownEvery, … below plan.visitors. */
export function knownVisitorCount(plan: SeedPlan): number {
  return Math.ceil(plan.visitors / SHAPE.knownEvery);
}

/** A visitor who signs in, with the facts (drawn in ClickHouse) their traits repeat. */
export interface KnownVisitor {
  visitor: number;
  plan: string;
  is_trial: boolean;
  country: string;
  city: string;
}

/** The traits of a known visitor's profile, as their identify call sets them. */
export function profileTraits(v: KnownVisitor): Record<string, string | number | boolean> {
  return { email: `${userId(v.visitor)}@example.com`, plan: v.plan, is_trial: v.is_trial, seats: 1 + (v.visitor % 7), country: v.country, city: v.city };
}
