// Synthetic traffic for benchmarks, generated inside ClickHouse (INSERT … SELECT FROM numbers()), so 10 M events
// take a minute or two instead of an hour through the intake. The materialized views on `events` fire as they do
// for real writes. Deterministic: row n always gets the same values.
//
// People: `anon-<i>` visitors (ANONYMOUS of them) and `user-<j>` identified people (IDENTIFIED); the first
// ALIASED anonymous ids belong to `user-<i>` (rows in the `profile_aliases` mirror). One person, `user-erase`,
// has `eraseEvents` events under their own id and ten aliases `anon-erase-<k>`.

import type { ClickHouseClient } from "@clickhouse/client";

export const ANONYMOUS = 400_000;
export const IDENTIFIED = 100_000;
export const ALIASED = 100_000;
const CHUNK = 1_000_000;

export interface SyntheticOptions {
  projectId: string;
  events: number;
  /** Events of `user-erase` and their aliases, spread through the same 30 days. */
  eraseEvents: number;
  onProgress?: (done: number, total: number) => void;
}

export async function insertSyntheticEvents(ch: ClickHouseClient, options: SyntheticOptions): Promise<void> {
  const { projectId, events, eraseEvents } = options;
  for (let start = 0; start < events; start += CHUNK) {
    const count = Math.min(CHUNK, events - start);
    await ch.command({
      query: `INSERT INTO events (project_id, event_id, kind, occurred_at, received_at, distinct_id, session_id, cookieless,
                url, pathname, hostname, browser, os, device_type, country, custom_properties, custom_numbers)
        SELECT {project:UUID}, generateUUIDv4(),
          ['page_view', 'page_view', 'page_view', 'click', 'scroll', 'signup', 'purchase'][1 + number % 7] AS kind,
          toDateTime64(now() - (number * 7919) % (30 * 86400), 3) AS at, at,
          if(number % 5 = 0, concat('user-', toString(cityHash64(number, 1) % {identified:UInt64})), concat('anon-', toString(cityHash64(number, 2) % {anonymous:UInt64}))),
          concat('s-', toString(intDiv(number, 12))), false,
          concat('https://shop.example/p/', toString(number % 500)), concat('/p/', toString(number % 500)), 'shop.example',
          ['Chrome', 'Firefox', 'Safari', 'Edge'][1 + number % 4], ['Windows', 'macOS', 'Linux', 'iOS', 'Android'][1 + number % 5],
          ['desktop', 'mobile', 'tablet'][1 + number % 3], ['DE', 'FR', 'US', 'GB', 'NL', 'SE'][1 + number % 6],
          map('plan', ['free', 'pro', 'team'][1 + number % 3]), map('amount', toFloat64(number % 1000) / 10)
        FROM numbers({start:UInt64}, {count:UInt64})`,
      query_params: { project: projectId, identified: IDENTIFIED, anonymous: ANONYMOUS, start, count },
    });
    options.onProgress?.(start + count, events + eraseEvents);
  }
  await ch.command({
    query: `INSERT INTO events (project_id, event_id, kind, occurred_at, received_at, distinct_id, session_id, cookieless, url, pathname)
      SELECT {project:UUID}, generateUUIDv4(), ['page_view', 'click'][1 + number % 2],
        toDateTime64(now() - (number * 7919) % (30 * 86400), 3) AS at, at,
        if(number % 2 = 0, 'user-erase', concat('anon-erase-', toString(number % 10))),
        concat('se-', toString(intDiv(number, 12))), false, 'https://shop.example/', '/'
      FROM numbers({count:UInt64})`,
    query_params: { project: projectId, count: eraseEvents },
  });
  options.onProgress?.(events + eraseEvents, events + eraseEvents);
  await ch.command({
    query: `INSERT INTO profile_aliases (project_id, alias_id, external_id, profile_id, version, is_deleted)
      SELECT {project:UUID}, concat('anon-', toString(number)), concat('user-', toString(number)), generateUUIDv4(), 1, 0
      FROM numbers({aliased:UInt64})
      UNION ALL
      SELECT {project:UUID}, concat('anon-erase-', toString(number)), 'user-erase', generateUUIDv4(), 1, 0 FROM numbers(10)`,
    query_params: { project: projectId, aliased: ALIASED },
  });
}
