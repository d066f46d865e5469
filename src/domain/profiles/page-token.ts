// The opaque position of a profile list: the last profile's creation time (as Postgres prints it, to the
// microsecond, with its offset) and id, base64url-encoded. Decoding validates both, so a made-up token is
// refused instead of reaching SQL as something unexpected.

import { decodeToken, encodeToken } from "../opaque-token.ts";
import { isUuid } from "../uuid.ts";

export interface ListPosition {
  createdAt: string;
  id: string;
}

const PG_TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2}){0,2}|Z)$/;

export function encodePageToken(position: ListPosition): string {
  return encodeToken([position.createdAt, position.id]);
}

/** The position a token holds, or undefined when it is not one this server issued. */
export function decodePageToken(token: string): ListPosition | undefined {
  const decoded = decodeToken(token, 2, 200);
  if (!decoded) return undefined;
  const [createdAt, id] = decoded;
  if (typeof createdAt !== "string" || typeof id !== "string" || !PG_TIMESTAMPTZ.test(createdAt) || !isUuid(id)) return undefined;
  return { createdAt, id };
}
