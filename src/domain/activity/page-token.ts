// Opaque cursors for paged reads. An event page resumes after its last event (occurred_at in milliseconds and
// event id, the order the pages are sorted by); a segment page after its last person. Both are base64url JSON
// with a tag, and decoding validates every part, so a made-up token is refused instead of reaching SQL.

import { decodeToken, encodeToken } from "../opaque-token.ts";
import { isUuid } from "../uuid.ts";

export interface EventPosition {
  occurredMs: number;
  eventId: string;
}

const MAX_TOKEN_LENGTH = 2000;

/** The parts of a token tagged `tag` with `length` parts (the tag included), or undefined when it is not one. */
function decode(token: string, tag: string, length: number): unknown[] | undefined {
  const decoded = decodeToken(token, length, MAX_TOKEN_LENGTH);
  return decoded?.[0] === tag ? decoded : undefined;
}

export function encodeEventPosition(position: EventPosition): string {
  return encodeToken(["e", position.occurredMs, position.eventId]);
}

/** The position an event page token holds, or undefined when it is not one this server issued. */
export function decodeEventPosition(token: string): EventPosition | undefined {
  const decoded = decode(token, "e", 3);
  if (!decoded) return undefined;
  const [, occurredMs, eventId] = decoded;
  if (typeof occurredMs !== "number" || !Number.isSafeInteger(occurredMs) || typeof eventId !== "string" || !isUuid(eventId)) return undefined;
  return { occurredMs, eventId: eventId.toLowerCase() };
}

export function encodePersonPosition(person: string): string {
  return encodeToken(["p", person]);
}

/** The last person of a segment page, or undefined when the token is not one this server issued. */
export function decodePersonPosition(token: string): string | undefined {
  const decoded = decode(token, "p", 2);
  return decoded && typeof decoded[1] === "string" ? decoded[1] : undefined;
}
