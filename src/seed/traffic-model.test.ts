import { expect, test } from "bun:test";
import { channelOf } from "../domain/ingest/stages/put-channel.ts";
import { userAgentParser } from "../workers/events/user-agent.ts";
import { DEVICES, JOURNEYS, PAGES, SOURCES } from "./traffic-model.ts";

// Bulk-seeded rows carry these fields directly; through the API the intake derives them. Both must agree.
test("each traffic source's channel is the one the intake derives from its referrer and UTM tags", () => {
  expect(SOURCES.map((s) => channelOf(s.utmMedium, s.utmSource, s.referrerDomain))).toEqual(SOURCES.map((s) => s.channel));
});

test("each device's browser, OS and device type are what the intake parses from its user agent", () => {
  const parse = userAgentParser();
  const parsed = DEVICES.map((d) => {
    const facts = parse(d.userAgent);
    return [facts.browser, facts.browserVersion, facts.os, facts.osVersion, facts.deviceType, facts.isBot];
  });
  expect(parsed).toEqual(DEVICES.map((d) => [d.browser, d.browserVersion, d.os, d.osVersion, d.deviceType, false]));
});

test("journeys only visit pages of the site", () => {
  const paths = new Set(PAGES.map((p) => p.path));
  expect(JOURNEYS.flat().filter((path) => !paths.has(path))).toEqual([]);
});
