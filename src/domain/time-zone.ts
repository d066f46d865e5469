// A project's reporting time zone: an IANA name the runtime knows (and so ClickHouse, which ships the same
// database), kept in its canonical spelling. Fixed offsets (`+01:00`) are refused: they ignore daylight saving,
// which is what a reporting zone is for.

import { FieldError } from "./field-error.ts";

/** The canonical IANA name of `value`; throws a FieldError on `field` for anything else. */
export function reportingTimeZone(value: string, field: string): string {
  let zone: string;
  try {
    zone = new Intl.DateTimeFormat("en-US", { timeZone: value.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new FieldError(field, `'${value}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
  }
  if (!/^[A-Za-z]/.test(zone)) throw new FieldError(field, `'${value}' is a fixed offset; name an IANA time zone (e.g. Europe/Berlin, UTC)`);
  return zone;
}

/** The zone a browser reported, canonical, if it is an IANA name; else UTC (a sign-up must not fail over it). */
export function timeZoneOrUtc(name: string | undefined): string {
  try {
    return reportingTimeZone(name ?? "", "timezone");
  } catch (error) {
    if (error instanceof FieldError) return "UTC";
    throw error;
  }
}
