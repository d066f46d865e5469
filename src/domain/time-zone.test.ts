import { describe, expect, test } from "bun:test";
import { refusalOf } from "./field-refusal.ts";
import { reportingTimeZone, timeZoneOrUtc } from "./time-zone.ts";

describe("reportingTimeZone", () => {
  test.each([
    ["Europe/Berlin", "Europe/Berlin"],
    ["europe/berlin", "Europe/Berlin"],
    [" UTC ", "UTC"],
    ["utc", "UTC"],
    ["America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"],
  ])("%p is %p", (given, canonical) => {
    expect(reportingTimeZone(given, "reporting_timezone")).toBe(canonical);
  });

  test.each([
    ["Mars/Olympus_Mons", "reporting_timezone: 'Mars/Olympus_Mons' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)"],
    ["", "reporting_timezone: '' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)"],
    ["+01:00", "reporting_timezone: '+01:00' is a fixed offset; name an IANA time zone (e.g. Europe/Berlin, UTC)"],
  ])("%p is refused", (given, message) => {
    expect(refusalOf(() => reportingTimeZone(given, "reporting_timezone"))).toBe(message);
  });
});

test("a browser's zone that is not an IANA name falls back to UTC", () => {
  expect(timeZoneOrUtc(" Europe/Paris ")).toBe("Europe/Paris");
  expect(timeZoneOrUtc("nowhere")).toBe("UTC");
  expect(timeZoneOrUtc("+02:00")).toBe("UTC");
  expect(timeZoneOrUtc(undefined)).toBe("UTC");
});
