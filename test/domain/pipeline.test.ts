// The enrichment stages and intake rules as plain functions: no servers.

import { describe, expect, test } from "bun:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { clientIp, trustedProxies } from "../../src/domain/ingest/client-ip.ts";
import { intakeDropReason } from "../../src/domain/ingest/drop-reasons.ts";
import { enrich } from "../../src/domain/ingest/pipeline.ts";
import type { StageContext } from "../../src/domain/ingest/pipeline-types.ts";
import { channelOf } from "../../src/domain/ingest/stages/put-channel.ts";
import { sdkEvent, str } from "../support/sdk-events.ts";

const project = "7f8e1c1a-0000-4000-8000-000000000001";
const request = { projectId: project, clientIp: "203.0.113.9", userAgent: "UA", receivedAtMs: Date.parse("2026-03-01T12:00:00Z") };
const ctx: StageContext = {
  userAgent: () => ({ browser: "Firefox", browserVersion: "126", os: "Linux", osVersion: "", deviceType: "desktop", isBot: false }),
  geo: (ip) => (ip === "203.0.113.9" ? { country: "NL", region: "North Holland", city: "Amsterdam" } : { country: "", region: "", city: "" }),
  cookielessHash: (input) => new Bun.CryptoHasher("sha256").update(input).digest("hex"),
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
      received_at: "2026-03-01 12:00:00.000",
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

  test("screen sizes that are not plausible numbers become 0", () => {
    const weird = row({ autoProperties: { $screenWidth: str("wide"), $screenHeight: str("99999") } });
    expect([weird.screen_width, weird.screen_height]).toEqual([0, 0]);
  });

  test("cookieless ids come from the salted hash of project, IP and user agent", () => {
    const a = row({ cookieless: true, distinctId: "", sessionId: "" });
    const expected = ctx.cookielessHash(`${project}\n203.0.113.9\nUA`);
    expect(a.distinct_id).toBe(`cookieless-${expected.slice(0, 32)}`);
    expect(a.session_id).toBe(`cookieless-${expected.slice(32, 64)}`);
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

describe("intake rules", () => {
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
