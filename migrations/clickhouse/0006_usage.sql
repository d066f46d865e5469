-- Events accepted per project and UTC day (the day Pug received them), for usage. A view keeps it as events are
-- written, so reading usage never scans events, and a count stays when events are later deleted by an erasure or
-- a retention period: usage is what was accepted, not what is kept. A batch ClickHouse drops as a repeat (same
-- deduplication token) reaches no view; an event the SDK sent twice in two batches counts twice. Rows of one
-- (project, day) are summed on merge; readers still sum across unmerged parts. The scheduler copies the last
-- weeks into Postgres' usage_days.
-- sharding_key: cityHash64(project_id)
CREATE TABLE IF NOT EXISTS usage_daily
(
    project_id UUID,
    day        Date,
    events     UInt64
)
ENGINE = SummingMergeTree
ORDER BY (project_id, day);

-- Events written before this migration, counted from what events still holds (erased or expired ones are gone).
-- Only into an empty table: if the view below failed to be created, running the migration again does not count
-- them twice. Events written between this insert and the view's creation (a moment, while migrating) are not
-- counted. With a cluster this runs once, from the Distributed events into the Distributed usage_daily.
INSERT INTO usage_daily (project_id, day, events)
SELECT project_id, toDate(received_at) AS day, toUInt64(count()) AS events
FROM events
WHERE (SELECT count() FROM usage_daily) = 0
GROUP BY project_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_daily_mv TO usage_daily AS
SELECT project_id, toDate(received_at) AS day, toUInt64(count()) AS events
FROM events
GROUP BY project_id, day;
