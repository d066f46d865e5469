// One row of the ClickHouse `events` table, as the events worker writes it (./event-native.ts).

export interface EventRow {
  project_id: string;
  event_id: string;
  kind: string;
  /** Milliseconds since the epoch (DateTime64(3, 'UTC')). */
  occurred_at: number;
  /** Milliseconds since the epoch (DateTime64(3, 'UTC')). */
  received_at: number;
  distinct_id: string;
  session_id: string;
  cookieless: boolean;
  is_bot: boolean;
  url: string;
  pathname: string;
  hostname: string;
  referrer: string;
  referrer_domain: string;
  channel: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  page_title: string;
  locale: string;
  screen_width: number;
  screen_height: number;
  platform: string;
  sdk_version: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device_type: string;
  country: string;
  region: string;
  city: string;
  auto_properties: Record<string, string>;
  /** ValueType of every auto property that is not a string (see ../properties/value-types.ts). */
  auto_types: Record<string, number>;
  custom_properties: Record<string, string>;
  custom_numbers: Record<string, number>;
  /** ValueType of every custom property that is not a string. */
  custom_types: Record<string, number>;
}

/**
 * `ms` as a row's time, or an error naming `field` when it is no time at all (beyond a JavaScript Date's range):
 * one bad event fails alone rather than the whole message at encoding.
 */
export function rowTime(field: string, ms: number): number {
  if (!(Math.abs(ms) <= MAX_DATE_MS)) throw new Error(`${field}: not a time: ${ms} ms`);
  return ms;
}

const MAX_DATE_MS = 8.64e15;

/** ClickHouse DateTime64(3) text, in UTC. */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}
