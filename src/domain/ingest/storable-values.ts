// What the events table and the row serialisation can hold, as checks shared by every validator. Intake refuses
// anything outside these bounds, naming the field, so the worker never meets a value it cannot store.

import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** ClickHouse DateTime64(3): 1900-01-01 00:00:00 to 2299-12-31 23:59:59.999 UTC. */
export const MIN_STORABLE_SECONDS = -2_208_988_800n;
export const MAX_STORABLE_SECONDS = 10_413_791_999n;
const STORABLE_RANGE = "1900-01-01T00:00:00Z to 2299-12-31T23:59:59.999Z";

/** The problem with a timestamp, relative to the field (`seconds: …`), or undefined when it is storable. */
export function timestampProblem(time: Timestamp): string | undefined {
  if (time.nanos < 0 || time.nanos > 999_999_999) return "nanos: must be 0 to 999999999";
  if (time.seconds < MIN_STORABLE_SECONDS || time.seconds > MAX_STORABLE_SECONDS) return `seconds: ${time.seconds} is outside ${STORABLE_RANGE}`;
  return undefined;
}

// Control characters (C0, DEL, C1) make names unreadable in every report and are never intended. Written as
// "only non-control characters, anchored": several times faster per key than searching for a control character.
const noControlCharacters = /^[^\x00-\x1f\x7f-\x9f]*$/;

/**
 * The problem with a name (a property key or trait name), or undefined. Values may hold any text, control
 * characters included; names may not. (Invalid UTF-8 and lone surrogates are refused by the protobuf decoder.)
 */
export function nameProblem(name: string, maxLength: number): string | undefined {
  if (name.length === 0 || name.length > maxLength) return `names are 1 to ${maxLength} characters`;
  if (!noControlCharacters.test(name)) return "names must not contain control characters";
  return undefined;
}

/**
 * A lone UTF-16 surrogate (`"\ud800"`) has no UTF-8 form: ClickHouse would store a replacement character
 * instead. The protobuf decoder refuses one in string fields, but not inside google.protobuf.Struct (traits),
 * so those are checked here and refused rather than silently changed.
 */
export function textProblem(text: string): string | undefined {
  return text.isWellFormed() ? undefined : "not valid Unicode (lone surrogate)";
}
