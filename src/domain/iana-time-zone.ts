// IANA time zone names (`Europe/Berlin`, `UTC`), as a project's reporting time zone takes them. Offsets such as
// `+02:00`, which the runtime would also accept, are refused: a zone name keeps daylight saving right.

const NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

export function isIanaTimeZone(name: string): boolean {
  if (name.length > 64 || !NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone a browser reported if it is a valid IANA name, else UTC. */
export function timeZoneOrUtc(name: string | undefined): string {
  const trimmed = name?.trim() ?? "";
  return isIanaTimeZone(trimmed) ? trimmed : "UTC";
}
