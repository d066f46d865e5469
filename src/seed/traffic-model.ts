// What seeded traffic looks like: a small site, the journeys visitors take through it, where they come from,
// where they are and what they browse with. Plain data; src/seed/traffic-sql.ts turns it into rows inside
// ClickHouse, picking from these lists with hash-based draws (earlier entries more often where noted).

export const SITE = "https://acme.example";
export const HOSTNAME = "acme.example";

export const PAGES: readonly { path: string; title: string }[] = [
  { path: "/", title: "Acme — product analytics" },
  { path: "/pricing", title: "Pricing — Acme" },
  { path: "/docs", title: "Docs — Acme" },
  { path: "/docs/getting-started", title: "Getting started — Acme docs" },
  { path: "/docs/api", title: "API reference — Acme docs" },
  { path: "/blog", title: "Blog — Acme" },
  { path: "/blog/launch", title: "We launched — Acme blog" },
  { path: "/blog/how-we-built-it", title: "How we built it — Acme blog" },
  { path: "/blog/analytics-without-cookies", title: "Analytics without cookies — Acme blog" },
  { path: "/about", title: "About — Acme" },
  { path: "/signup", title: "Sign up — Acme" },
  { path: "/checkout", title: "Checkout — Acme" },
];

/** Page paths a session walks through in order (and again from the start when it is longer). */
export const JOURNEYS: readonly (readonly string[])[] = [
  ["/", "/pricing", "/docs", "/pricing", "/signup"],
  ["/", "/docs", "/docs/getting-started", "/docs/api", "/docs/getting-started"],
  ["/blog/launch", "/", "/pricing", "/about"],
  ["/", "/blog", "/blog/how-we-built-it", "/blog/analytics-without-cookies", "/"],
  ["/pricing", "/docs", "/", "/signup"],
  ["/blog/analytics-without-cookies", "/blog", "/", "/pricing"],
];

/** How a session arrived: what the landing event carries. `channel` is what the intake derives from the rest. */
export interface TrafficSource {
  referrer: string;
  referrerDomain: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  channel: string;
}

const source = (referrer: string, utmSource: string, utmMedium: string, utmCampaign: string, channel: string): TrafficSource => ({
  referrer,
  referrerDomain: referrer ? new URL(referrer).hostname.replace(/^www\./, "") : "",
  utmSource,
  utmMedium,
  utmCampaign,
  channel,
});

/** Earlier entries are drawn more often. */
export const SOURCES: readonly TrafficSource[] = [
  source("", "", "", "", "Direct"),
  source("https://www.google.com/", "", "", "", "Organic Search"),
  source("https://news.ycombinator.com/", "", "", "", "Referral"),
  source("https://www.google.com/", "google", "cpc", "brand", "Paid Search"),
  source("", "newsletter", "email", "spring_launch", "Email"),
  source("https://t.co/", "", "", "", "Organic Social"),
  source("https://www.reddit.com/r/analytics/", "", "", "", "Organic Social"),
  source("https://www.bing.com/", "", "", "", "Organic Search"),
  source("https://www.facebook.com/", "facebook", "paid_social", "retargeting", "Paid Social"),
  source("", "partnerblog", "affiliate", "q3", "Affiliate"),
];

/** Earlier entries are drawn more often. */
export const PLACES: readonly { country: string; region: string; city: string; locale: string }[] = [
  { country: "US", region: "California", city: "San Francisco", locale: "en-US" },
  { country: "DE", region: "Berlin", city: "Berlin", locale: "de-DE" },
  { country: "GB", region: "England", city: "London", locale: "en-GB" },
  { country: "US", region: "New York", city: "New York", locale: "en-US" },
  { country: "FR", region: "Île-de-France", city: "Paris", locale: "fr-FR" },
  { country: "IN", region: "Karnataka", city: "Bengaluru", locale: "en-IN" },
  { country: "NL", region: "North Holland", city: "Amsterdam", locale: "nl-NL" },
  { country: "DE", region: "Bavaria", city: "Munich", locale: "de-DE" },
  { country: "BR", region: "São Paulo", city: "São Paulo", locale: "pt-BR" },
  { country: "CA", region: "Ontario", city: "Toronto", locale: "en-CA" },
  { country: "JP", region: "Tokyo", city: "Tokyo", locale: "ja-JP" },
  { country: "SE", region: "Stockholm", city: "Stockholm", locale: "sv-SE" },
  { country: "ES", region: "Madrid", city: "Madrid", locale: "es-ES" },
  { country: "AU", region: "New South Wales", city: "Sydney", locale: "en-AU" },
];

export interface Device {
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  deviceType: string;
  screenWidth: number;
  screenHeight: number;
  /** What such a browser sends, for the through-the-API path (the intake parses it into the fields above). */
  userAgent: string;
}

/** Earlier entries are drawn more often. */
export const DEVICES: readonly Device[] = [
  { browser: "Chrome", browserVersion: "124", os: "Windows", osVersion: "10", deviceType: "desktop", screenWidth: 1920, screenHeight: 1080, userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36" },
  { browser: "Mobile Safari", browserVersion: "17", os: "iOS", osVersion: "17.4", deviceType: "mobile", screenWidth: 390, screenHeight: 844, userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1" },
  { browser: "Chrome", browserVersion: "124", os: "Mac OS", osVersion: "10.15.7", deviceType: "desktop", screenWidth: 1512, screenHeight: 982, userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36" },
  { browser: "Chrome", browserVersion: "124", os: "Android", osVersion: "10", deviceType: "mobile", screenWidth: 412, screenHeight: 915, userAgent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36" },
  { browser: "Safari", browserVersion: "17", os: "Mac OS", osVersion: "10.15.7", deviceType: "desktop", screenWidth: 1440, screenHeight: 900, userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15" },
  { browser: "Firefox", browserVersion: "125", os: "Windows", osVersion: "10", deviceType: "desktop", screenWidth: 1366, screenHeight: 768, userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0" },
  { browser: "Edge", browserVersion: "124", os: "Windows", osVersion: "10", deviceType: "desktop", screenWidth: 1920, screenHeight: 1080, userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0" },
  { browser: "Mobile Safari", browserVersion: "17", os: "iOS", osVersion: "17.4", deviceType: "tablet", screenWidth: 820, screenHeight: 1180, userAgent: "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1" },
];

/** Earlier entries are drawn more often. */
export const PLANS = ["free", "pro", "team"] as const;
export const BUTTONS = ["hero_cta", "pricing_toggle", "docs_search", "newsletter_subscribe"] as const;

/**
 * Shape of the traffic. A session has 1–20 events (short ones more often). Sessions of at least 4 events may end
 * in the signup funnel: `signup_started` in `started` of them; then, only for visitors who sign in (one in
 * `knownEvery`), `signup_completed` in `completed` of those and `purchase` in `purchased` of those.
 */
export const SHAPE = {
  maxSessionEvents: 20,
  eventsPerVisitor: 25,
  knownEvery: 4,
  started: 0.3,
  completed: 0.5,
  purchased: 0.4,
  /** Share of events after the landing one that are `cta_clicked`, and of page views off the journey. */
  clicks: 0.08,
  detours: 0.15,
} as const;
