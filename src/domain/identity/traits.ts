// Trait merging. Every key carries the receive time (ms) of the call that set it, so applying the same calls
// again, or in another order, ends in the same traits: a key is overwritten only by a call received at or after
// the time it was set.

import type { JsonValue } from "@bufbuild/protobuf";

export type Traits = Record<string, JsonValue>;
/** Per trait key, the receive time (ms) of the call that set it. */
export type TraitTimes = Record<string, number>;

export interface StampedTraits {
  traits: Traits;
  traitTimes: TraitTimes;
}

/** Never stored: the SDK may send the client's IP as a trait (intake strips it too). */
const NEVER_STORED = new Set(["$ip"]);

/** An identify call's traits applied: the call's keys win over older stamps. */
export function applyCallTraits(current: StampedTraits, call: Traits, receivedMs: number): StampedTraits {
  const traits = { ...current.traits };
  const traitTimes = { ...current.traitTimes };
  for (const [key, value] of Object.entries(call)) {
    if (NEVER_STORED.has(key)) continue;
    const setAt = traitTimes[key];
    if (setAt !== undefined && receivedMs < setAt) continue;
    traits[key] = value;
    traitTimes[key] = receivedMs;
  }
  return { traits, traitTimes };
}

/**
 * An anonymous profile's traits folded into its person's: the person's keys win, so only the keys the person
 * lacks are taken, each with the stamp it had.
 */
export function mergeMissingTraits(target: StampedTraits, from: StampedTraits): StampedTraits {
  const traits = { ...target.traits };
  const traitTimes = { ...target.traitTimes };
  for (const [key, value] of Object.entries(from.traits)) {
    if (NEVER_STORED.has(key) || key in traits) continue;
    traits[key] = value;
    traitTimes[key] = from.traitTimes[key] ?? 0;
  }
  return { traits, traitTimes };
}

/** Whether two trait sets hold the same keys, values and stamps (key order aside). */
export function sameTraits(a: StampedTraits, b: StampedTraits): boolean {
  return canonical(a.traits) === canonical(b.traits) && canonical(a.traitTimes) === canonical(b.traitTimes);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
