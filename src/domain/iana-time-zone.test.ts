import { expect, test } from "bun:test";
import { isIanaTimeZone, timeZoneOrUtc } from "./iana-time-zone.ts";

test.each(["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"])("%s is a zone", (zone) => {
  expect(isIanaTimeZone(zone)).toBe(true);
});

test.each(["", "+02:00", "Mars/Olympus_Mons", "Europe/Berlin; DROP", "../etc/passwd", "x".repeat(65)])("%j is not a zone", (zone) => {
  expect(isIanaTimeZone(zone)).toBe(false);
});

test("falls back to UTC", () => {
  expect(timeZoneOrUtc(" Europe/Paris ")).toBe("Europe/Paris");
  expect(timeZoneOrUtc("nowhere")).toBe("UTC");
  expect(timeZoneOrUtc(undefined)).toBe("UTC");
});
