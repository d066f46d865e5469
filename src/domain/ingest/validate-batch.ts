// The contract's rules for an SDK batch. Every violation is reported with the path of the field, the way
// clients see it: `events[3].event_id: not a UUID`. A batch with any violation is refused whole.

import type { PropertyValue } from "../../gen/common/v1/property_value_pb.ts";
import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import { nameProblem, timestampProblem } from "./storable-values.ts";
import { isUuid } from "../uuid.ts";

export const MAX_EVENTS_PER_BATCH = 1000;
export const MAX_STRING_CODE_POINTS = 1024;
const MAX_ID_LENGTH = 200;
const MAX_KEY_LENGTH = 200;
const MAX_PROPERTIES = 500;

const kindShape = /^[a-zA-Z0-9_.-]+$/;

/** At most this many problems are listed; a batch with more says how many were left out. */
const MAX_REPORTED = 10;

export function validateBatch(events: Event[]): string[] {
  const problems: string[] = [];
  if (events.length > MAX_EVENTS_PER_BATCH) {
    return [`events: at most ${MAX_EVENTS_PER_BATCH} events per batch, got ${events.length}`];
  }
  const seen = new Map<string, number>();
  events.forEach((event, index) => {
    const at = `events[${index}]`;
    const id = event.eventId.toLowerCase();
    if (event.eventId === "") problems.push(`${at}.event_id: required`);
    else if (!isUuid(event.eventId)) problems.push(`${at}.event_id: not a UUID`);
    else if (seen.has(id)) problems.push(`${at}.event_id: duplicate of events[${seen.get(id)}].event_id`);
    else seen.set(id, index);

    if (event.kind === "") problems.push(`${at}.kind: required`);
    else if (event.kind.length > MAX_ID_LENGTH) problems.push(`${at}.kind: at most ${MAX_ID_LENGTH} characters`);
    else if (!kindShape.test(event.kind)) problems.push(`${at}.kind: only letters, digits, '_', '.' and '-' are allowed`);

    const time = event.occurTime;
    if (!time) problems.push(`${at}.occur_time: required`);
    else {
      const problem = timestampProblem(time);
      if (problem) problems.push(`${at}.occur_time.${problem}`);
    }

    if (event.distinctId.startsWith("cookieless-")) problems.push(`${at}.distinct_id: must not start with "cookieless-" (reserved for server-derived ids)`);
    if (event.distinctId.length > MAX_ID_LENGTH) problems.push(`${at}.distinct_id: at most ${MAX_ID_LENGTH} characters`);
    if (event.sessionId !== "" && !isUuid(event.sessionId)) problems.push(`${at}.session_id: not a UUID`);
    if (event.cookieless) {
      if (event.distinctId !== "") problems.push(`${at}.distinct_id: must be empty when cookieless is true`);
      if (event.sessionId !== "") problems.push(`${at}.session_id: must be empty when cookieless is true`);
    } else {
      if (event.distinctId === "") problems.push(`${at}.distinct_id: required unless cookieless is true`);
      if (event.sessionId === "") problems.push(`${at}.session_id: required unless cookieless is true`);
    }

    checkProperties(`${at}.auto_properties`, event.autoProperties, true, problems);
    checkProperties(`${at}.custom_properties`, event.customProperties, false, problems);
  });
  if (problems.length > MAX_REPORTED) {
    return [...problems.slice(0, MAX_REPORTED), `… and ${problems.length - MAX_REPORTED} more problems`];
  }
  return problems;
}

function checkProperties(at: string, properties: Record<string, PropertyValue>, auto: boolean, problems: string[]): void {
  const keys = Object.keys(properties);
  if (keys.length > MAX_PROPERTIES) problems.push(`${at}: at most ${MAX_PROPERTIES} properties, got ${keys.length}`);
  for (const key of keys) {
    // Paths are built only for problems: this loop runs for every property of every event.
    const path = () => `${at}[${JSON.stringify(key)}]`;
    if (auto && !key.startsWith("$")) problems.push(`${path()}: automatic property names start with '$'`);
    if (!auto && key.startsWith("$")) problems.push(`${path()}: custom property names must not start with '$' (reserved for the SDK)`);
    const nameIssue = nameProblem(key, MAX_KEY_LENGTH);
    if (nameIssue) problems.push(`${path()}: ${nameIssue}`);
    const problem = propertyValueProblem(properties[key]!);
    if (problem) problems.push(`${path()}: ${problem}`);
  }
}

function propertyValueProblem(property: PropertyValue): string | undefined {
  const value = property.value;
  switch (value.case) {
    case undefined:
      return "no value set (exactly one of string_value, int_value, double_value, bool_value, timestamp_value)";
    case "stringValue": {
      // UTF-16 length bounds the code points from above: count them only when it could matter.
      const length = value.value.length > MAX_STRING_CODE_POINTS ? codePoints(value.value) : 0;
      if (length > MAX_STRING_CODE_POINTS) return `string_value: at most ${MAX_STRING_CODE_POINTS} characters, got ${length}`;
      // Invalid UTF-8 and lone surrogates never get here: the protobuf decoder refuses both (binary and JSON).
      return undefined;
    }
    case "doubleValue":
      return Number.isFinite(value.value) ? undefined : `double_value: must be finite, got ${value.value}`;
    case "timestampValue": {
      const problem = timestampProblem(value.value);
      return problem ? `timestamp_value.${problem}` : undefined;
    }
    default:
      return undefined;
  }
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
