// The enrichment stages and intake rules as plain functions: no servers.

import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { deriveClientFacts } from "../../src/domain/ingest/client-facts.ts";
import { clientIp, trustedProxies } from "../../src/domain/ingest/client-ip.ts";
import { intakeDropReason } from "../../src/domain/ingest/drop-reasons.ts";
import type { EventRow } from "../../src/domain/ingest/event-row.ts";
import { enrich, enrichBatch } from "../../src/domain/ingest/pipeline.ts";
import type { ClientLookups, RequestFacts, StageContext } from "../../src/domain/ingest/pipeline-types.ts";
import { channelOf } from "../../src/domain/ingest/stages/put-channel.ts";
import { IngestBatchSchema } from "../../src/gen/internal/ingest/v1/ingest_pb.ts";
import { sdkEvent, str } from "../support/sdk-events.ts";

const project = "7f8e1c1a-0000-4000-8000-000000000001";
const receivedAtMs = Date.parse("2026-03-01T12:00:00Z");
const lookups: ClientLookups = {
  geo: (ip) => (ip === "203.0.113.9" ? { country: "NL", region: "North Holland", city: "Amsterdam" } : { country: "", region: "", city: "" }),
  cookielessHash: (input) => new Bun.CryptoHasher("sha256").update(input).digest("hex"),
};
const client = deriveClientFacts(project, "203.0.113.9", "UA", true, lookups);
const request: RequestFacts = { projectId: project, userAgent: "UA", receivedAtMs, geo: client, visitorHash: client.visitorHash };
const ctx: StageContext = {
  userAgent: () => ({ browser: "Firefox", browserVersion: "126", os: "Linux", osVersion: "", deviceType: "desktop", isBot: false }),
};

function row(overrides: Parameters<typeof sdkEvent>[1] = {}) {
  const result = enrich(sdkEvent(project, overrides), request, ctx);
  if ("drop" in result) throw new Error(`dropped: ${result.drop}`);
  return result;
}

describe("enrichment pipeline", () => {
  test("URL parts, UTM, referrer, channel, page facts, user agent and geo land in typed columns", () => {
    expect(row()).toMatchObject({
      hostname: "shop.example.com",
      pathname: "/pricing",
      utm_source: "newsletter",
      utm_medium: "email",
      utm_campaign: "spring",
      referrer_domain: "google.com",
      channel: "Email",
      page_title: "Pricing",
      screen_width: 1920,
      browser: "Firefox",
      country: "NL",
      region: "North Holland",
      city: "Amsterdam",
      received_at: Date.parse("2026-03-01T12:00:00.000Z"),
    });
  });

  test("a referrer from the site itself is blanked; www. does not make it foreign", () => {
    const own = row({ url: "https://www.shop.example.com/a", referrer: "https://shop.example.com/b" });
    expect([own.referrer, own.referrer_domain, own.channel]).toEqual(["", "", "Direct"]);
  });

  test("URLs that are not http(s) are kept as text but not taken apart", () => {
    const odd = row({ url: "javascript:alert(1)", referrer: "not a url" });
    expect([odd.url, odd.hostname, odd.pathname, odd.referrer]).toEqual(["javascript:alert(1)", "", "", ""]);
  });

  test("the promoted automatic properties are stored in their columns only, the others in auto_properties", () => {
    const stored = row({ autoProperties: { ...sdkEvent(project).autoProperties, $lib: str("web"), $country: str("FR") } });
    expect(Object.keys(stored.auto_properties).sort()).toEqual(["$lib", "$projectId"]);
    expect([stored.url, stored.page_title, stored.locale, stored.screen_width, stored.country]).toEqual([expect.stringContaining("https://"), "Pricing", "en-GB", 1920, "NL"]);
  });

  test("screen sizes that are not plausible numbers become 0", () => {
    const weird = row({ autoProperties: { $screenWidth: str("wide"), $screenHeight: str("99999") } });
    expect([weird.screen_width, weird.screen_height]).toEqual([0, 0]);
  });

  test("cookieless ids come from the salted hash of project, IP and user agent", () => {
    const a = row({ cookieless: true, distinctId: "", sessionId: "" });
    const expected = lookups.cookielessHash(`${project}\n203.0.113.9\nUA`);
    expect(a.distinct_id).toBe(`cookieless-${expected.slice(0, 32)}`);
    expect(a.session_id).toBe(`cookieless-${expected.slice(32, 64)}`);
  });

  test("a property named __proto__ is kept as data in every map", () => {
    const event = sdkEvent(project);
    // How the protobuf decoder hands over a map key "__proto__": as an own property of a plain object.
    Object.defineProperty(event.customProperties, "__proto__", { value: { value: { case: "intValue", value: 7n } }, enumerable: true });
    const stored = enrich(event, request, ctx) as EventRow;
    expect(JSON.parse(JSON.stringify(stored.custom_properties))).toEqual(JSON.parse('{"__proto__": "7"}'));
    expect(Object.keys(stored.custom_numbers)).toEqual(["__proto__"]);
  });

  test.each([
    ["", "", "", "Direct"],
    ["", "", "bing.com", "Organic Search"],
    ["", "", "news.ycombinator.com", "Referral"],
    ["", "", "t.co", "Organic Social"],
    ["cpc", "google", "", "Paid Search"],
    ["paid", "facebook", "", "Paid Social"],
    ["email", "newsletter", "", "Email"],
    ["display", "", "", "Display"],
    ["affiliate", "partner", "", "Affiliate"],
    ["", "spring-launch", "", "Other Campaign"],
  ])("channelOf(medium %p, source %p, referrer %p) is %p", (medium, source, referrer, channel) => {
    expect(channelOf(medium, source, referrer)).toBe(channel);
  });
});

describe("enrichBatch", () => {
  const batchOf = (init: Parameters<typeof create<typeof IngestBatchSchema>>[1]) =>
    create(IngestBatchSchema, { projectId: project, receivedAt: timestampFromMs(receivedAtMs), userAgent: "UA", ...init });

  test("client facts derived at intake reach the geo columns and the cookieless ids", () => {
    const { rows, failures } = enrichBatch(batchOf({ client, events: [sdkEvent(project, { cookieless: true, distinctId: "", sessionId: "" })] }), ctx);
    expect(failures).toEqual([]);
    expect(rows[0]).toMatchObject({ country: "NL", city: "Amsterdam", distinct_id: `cookieless-${client.visitorHash.slice(0, 32)}` });
  });

  test("a message of an older server (client_ip, no client facts) is enriched as before", () => {
    const events = [sdkEvent(project, { cookieless: true, distinctId: "", sessionId: "" })];
    const legacy = enrichBatch(batchOf({ clientIp: "203.0.113.9", events }), { ...ctx, legacy: lookups });
    const current = enrichBatch(batchOf({ client, events }), ctx);
    expect(legacy.failures).toEqual([]);
    expect(legacy.rows).toEqual(current.rows);
    expect(legacy.rows[0]!.country).toBe("NL");
  });

  test("an event that cannot be enriched becomes a failure with its reason; the others still become rows", () => {
    const good = sdkEvent(project);
    const bad = sdkEvent(project, { occurTime: { seconds: 10_000_000_000_000n, nanos: 0 } });
    const faceless = sdkEvent(project, { cookieless: true, distinctId: "", sessionId: "" });
    const { rows, failures } = enrichBatch(batchOf({ client: { ...client, visitorHash: "" }, events: [good, bad, faceless] }), ctx);
    expect(rows.map((r) => r.event_id)).toEqual([good.eventId]);
    expect(failures).toEqual([
      { eventId: bad.eventId, reason: "Error: occur_time: not a time: 10000000000000000 ms" },
      { eventId: faceless.eventId, reason: "Error: cookieless event without a visitor hash in its batch" },
    ]);
  });

  test("a batch without received_at fails every event instead of throwing", () => {
    const event = sdkEvent(project);
    const { rows, failures } = enrichBatch(batchOf({ receivedAt: undefined, client, events: [event] }), ctx);
    expect(rows).toEqual([]);
    expect(failures).toEqual([{ eventId: event.eventId, reason: "Error: batch has no received_at" }]);
  });
});

describe("intake rules", () => {
  test("$projectId is compared case-insensitively", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    const upper = sdkEvent(project, { occurTime: timestampFromMs(now), autoProperties: { $projectId: str(project.toUpperCase()) } });
    expect(intakeDropReason(upper, project, now)).toBeUndefined();
    expect(intakeDropReason(upper, project.toUpperCase(), now)).toBeUndefined();
  });

  test("events of another project and outside the time window are dropped with a reason", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(intakeDropReason(sdkEvent(project, { occurTime: timestampFromMs(now) }), project, now)).toBeUndefined();
    expect(intakeDropReason(sdkEvent("other", { occurTime: timestampFromMs(now) }), project, now)).toBe("project_mismatch");
    expect(intakeDropReason(sdkEvent(project, { occurTime: timestampFromMs(now - 31 * 86_400_000) }), project, now)).toBe("day_out_of_range");
    expect(intakeDropReason(sdkEvent(project, { occurTime: timestampFromMs(now + 2 * 86_400_000) }), project, now)).toBe("day_out_of_range");
  });

  test("X-Forwarded-For counts only behind a trusted proxy, read from the right", () => {
    const trusted = trustedProxies(["10.0.0.0/8", "::1"]);
    expect(clientIp("198.51.100.1", "1.2.3.4", trusted)).toBe("198.51.100.1");
    expect(clientIp("10.1.2.3", "1.2.3.4", trusted)).toBe("1.2.3.4");
    expect(clientIp("10.1.2.3", "6.6.6.6, 1.2.3.4, 10.9.9.9", trusted)).toBe("1.2.3.4");
    expect(clientIp("::1", "2001:db8::1", trusted)).toBe("2001:db8::1");
    expect(clientIp("::ffff:10.0.0.1", "1.2.3.4", trusted)).toBe("1.2.3.4");
    expect(clientIp("10.1.2.3", "garbage", trusted)).toBe("10.1.2.3");
  });
});
