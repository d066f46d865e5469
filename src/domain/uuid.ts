// The one UUID check: ids on the wire, in queue messages and in page tokens are all checked the same way.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its usual text form (any version, either case). */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
