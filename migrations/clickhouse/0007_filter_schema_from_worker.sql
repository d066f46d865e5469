-- The events worker now tallies the filter schema of what it writes (src/domain/ingest/filter-schema-rows.ts) and
-- inserts those rows after the events of the same write, under the same insert_deduplication_token: the views of
-- 0005 that computed them inside every insert into events go, which moves about half of ClickHouse's CPU per event
-- to the workers. The profile views (property_keys_profiles_mv, property_values_profiles_mv) stay. Events written
-- into ClickHouse by other means add their filter schema with the views' own SELECTs
-- (src/domain/sql/filter-schema-backfill.ts).
--
-- Upgrade the events workers right after this migration: an older worker writes no filter schema, and with the
-- views gone what it writes meanwhile is missing from it (counts of keys and values seen; nothing else is lost).
DROP VIEW IF EXISTS event_names_mv;

DROP VIEW IF EXISTS property_keys_events_mv;

DROP VIEW IF EXISTS property_values_events_mv;

DROP VIEW IF EXISTS property_values_clients_mv;

-- A write the worker sends again (a retry, or a range written again after a crash) is dropped by its token, as in
-- events: deduplication of a non-replicated table needs a window of remembered inserts (a replicated one keeps
-- replicated_deduplication_window's, 1000 by default). Inserts from the profile views are not deduplicated.
ALTER TABLE event_names MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE property_keys MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE property_values MODIFY SETTING non_replicated_deduplication_window = 1000;
