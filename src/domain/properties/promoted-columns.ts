// Automatic properties that live in typed columns of `events` rather than in auto_properties: what the
// server derives (user agent, geo, URL parts, channel, UTM) and the SDK's own page facts. Each `$name` here is
// read from its column and nowhere else: by the filter schema (the events worker's tally,
// ../ingest/filter-schema-rows.ts, and the backfill, ../sql/filter-schema-backfill.ts, both built from this list;
// before them the views of migrations/clickhouse/0005_filter_schema.sql, which test/migrate/pure.test.ts holds
// equal to it) and by query builders. A column is "set" when it is not
// empty (strings) or not 0 (numbers).
//
// The SDK sends `$url`, `$referrer`, `$pageTitle`, `$locale`, `$platform`, `$sdkVersion`, `$screenWidth` and
// `$screenHeight` among its automatic properties; the worker stores them in their columns only (rows written
// before it stopped copying them into auto_properties still have the copy there, which no read uses): the
// columns are what reports mean by them (`$referrer` blanked for self-referrals, screen sizes as integers).

import type { EventRow } from "../ingest/event-row.ts";
import { ValueType } from "./value-types.ts";

export interface PromotedColumn {
  /** The property name the dashboard uses. */
  name: string;
  /** The column of `events`. */
  column: keyof EventRow;
  type: typeof ValueType.STRING | typeof ValueType.INTEGER;
}

const text = (name: string, column: keyof EventRow): PromotedColumn => ({ name, column, type: ValueType.STRING });
const integer = (name: string, column: keyof EventRow): PromotedColumn => ({ name, column, type: ValueType.INTEGER });

export const PROMOTED_COLUMNS: readonly PromotedColumn[] = [
  text("$url", "url"),
  text("$pathname", "pathname"),
  text("$hostname", "hostname"),
  text("$referrer", "referrer"),
  text("$referrerDomain", "referrer_domain"),
  text("$channel", "channel"),
  text("$utmSource", "utm_source"),
  text("$utmMedium", "utm_medium"),
  text("$utmCampaign", "utm_campaign"),
  text("$utmTerm", "utm_term"),
  text("$utmContent", "utm_content"),
  text("$pageTitle", "page_title"),
  text("$locale", "locale"),
  integer("$screenWidth", "screen_width"),
  integer("$screenHeight", "screen_height"),
  text("$platform", "platform"),
  text("$sdkVersion", "sdk_version"),
  text("$browser", "browser"),
  text("$browserVersion", "browser_version"),
  text("$os", "os"),
  text("$osVersion", "os_version"),
  text("$device", "device_type"),
  text("$country", "country"),
  text("$region", "region"),
  text("$city", "city"),
];

const byName = new Map(PROMOTED_COLUMNS.map((promoted) => [promoted.name, promoted]));

/** The column behind a `$name`, or undefined when the name is an ordinary auto property. */
export function promotedColumnNamed(name: string): PromotedColumn | undefined {
  return byName.get(name);
}
