// Realistic `events` rows for the ClickHouse insert benchmarks, as JSON objects (times as DateTime64 text), and
// what the events worker would insert for them besides.

import type { EventRow } from "../../../src/domain/ingest/event-row.ts";
import { encodeFilterSchemaRows } from "../../../src/domain/ingest/filter-schema-native.ts";
import { FilterSchemaTally, filterSchemaPart } from "../../../src/domain/ingest/filter-schema-rows.ts";
import type { EncodedTableRows } from "../../../src/domain/sql/native-block-writer.ts";

/** Bench rows as the worker's EventRows (times in ms). */
export function asEventRows(objects: Record<string, unknown>[]): EventRow[] {
  const ms = (text: unknown) => Date.parse(`${String(text).replace(" ", "T")}Z`);
  return objects.map((row) => ({ ...row, occurred_at: ms(row.occurred_at), received_at: ms(row.received_at) }) as unknown as EventRow);
}

/** The filter schema the events worker would insert after `objects`: tallied per message of 50 rows, combined. */
export function filterSchemaOf(objects: Record<string, unknown>[]): EncodedTableRows[] {
  const rows = asEventRows(objects);
  const tally = new FilterSchemaTally();
  for (let i = 0; i < rows.length; i += 50) tally.addPart(filterSchemaPart(rows.slice(i, i + 50)));
  return encodeFilterSchemaRows(tally.rows());
}

/** `count` rows as the events worker writes them, about 1.3 KB of JSON each, repeating the SDK's page facts and a few derived ones in auto_properties. */
export function syntheticEventRows(first: number, count: number): Record<string, unknown>[] {
  const projects = ["0b5d6c1e-8f0a-4c55-9a11-2f7d3e4b5a61", "7f3e2d1c-0b9a-4877-8665-544332211000", "c0ffee00-1234-4abc-8def-0123456789ab"];
  const kinds = ["page_view", "page_view", "click", "signup", "scroll"];
  const browsers = [["Chrome", "131.0.0.0"], ["Firefox", "133.0"], ["Safari", "18.1"], ["Edge", "131.0.2903.86"]];
  const systems = [["Windows", "10"], ["macOS", "14.6"], ["iOS", "18.1"], ["Android", "14"]];
  const places = [["DE", "Berlin", "Berlin"], ["US", "California", "San Francisco"], ["FR", "Île-de-France", "Paris"], ["JP", "Tokyo", "Tokyo"]];
  const sources = [["", "", "", "direct"], ["google", "cpc", "winter_sale_2026", "paid_search"], ["newsletter", "email", "weekly-digest", "email"]];
  const start = Date.parse("2026-11-01T00:00:00Z");
  const time = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  const rows: Record<string, unknown>[] = [];
  for (let i = first; i < first + count; i++) {
    const [browser, browserVersion] = browsers[i % 4]!;
    const [os, osVersion] = systems[(i >> 2) % 4]!;
    const [country, region, city] = places[(i >> 3) % 4]!;
    const [utmSource, utmMedium, utmCampaign, channel] = sources[i % 3]!;
    const path = `/docs/guide-${i % 1013}`;
    const url = `https://example.com${path}${utmSource ? `?utm_source=${utmSource}` : ""}`;
    const referrer = i % 3 === 1 ? "https://www.google.com/" : i % 3 === 2 ? "https://mail.example.org/" : "";
    const title = `Guide ${i % 1013} — Example Docs`;
    const device = i % 4 === 2 || i % 4 === 3 ? "mobile" : "desktop";
    const [width, height] = device === "mobile" ? [390, 844] : [1920, 1080];
    const distinct = `user-${(i * 7919) % 60_000}`;
    const row = {
      project_id: projects[i % 3], event_id: crypto.randomUUID(), kind: kinds[i % 5],
      occurred_at: time(start + i * 37), received_at: time(start + i * 37 + 120),
      distinct_id: distinct, session_id: crypto.randomUUID(), cookieless: i % 10 === 0, is_bot: false,
      url, pathname: path, hostname: "example.com", referrer, referrer_domain: referrer ? new URL(referrer).hostname : "",
      channel, utm_source: utmSource, utm_medium: utmMedium, utm_campaign: utmCampaign, utm_term: "", utm_content: "",
      page_title: title, locale: "en-US", screen_width: width, screen_height: height, platform: "web", sdk_version: "1.4.2",
      browser, browser_version: browserVersion, os, os_version: osVersion, device_type: device, country, region, city,
    };
    rows.push({
      ...row,
      auto_properties: {
        $url: url, $referrer: referrer, $pageTitle: title, $locale: "en-US", $screenWidth: String(width),
        $screenHeight: String(height), $platform: "web", $sdkVersion: "1.4.2", $browser: browser, $os: os, $country: country,
      },
      auto_types: { $screenWidth: 2, $screenHeight: 2 },
      custom_properties: { plan: i % 2 ? "pro" : "free", cart_items: String(i % 9), experiment: `exp-${i % 4}`, logged_in: i % 3 ? "true" : "false" },
      custom_numbers: { cart_items: i % 9 },
      custom_types: { cart_items: 2, logged_in: 4 },
    });
  }
  return rows;
}
