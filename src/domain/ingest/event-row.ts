// One row of the ClickHouse `events` table, as the events worker writes it (JSONEachRow).

export interface EventRow {
  project_id: string;
  event_id: string;
  kind: string;
  occurred_at: string;
  received_at: string;
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

/** ClickHouse DateTime64(3) text, in UTC. */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}
