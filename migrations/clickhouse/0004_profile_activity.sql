-- What a person did, kept as events are written (a materialized view), so a profile page reads a few rows per
-- distinct id instead of scanning events: first/last seen, counts, and the client of the latest event. A person
-- is the sum of their distinct ids (external id and aliases); the states merge across them. Cookieless ids never
-- belong to a person and are left out. A batch ClickHouse drops as a repeat (same deduplication token) does not
-- reach the view either.
-- sharding_key: cityHash64(project_id, distinct_id)
CREATE TABLE IF NOT EXISTS profile_activity
(
    project_id   UUID,
    distinct_id  String,
    first_seen   SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen    SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    total_events SimpleAggregateFunction(sum, UInt64),
    pageviews    SimpleAggregateFunction(sum, UInt64),
    sessions     AggregateFunction(uniq, String),
    last_client  AggregateFunction(argMax, Tuple(String, String, String, String, String, String, String, String), DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, distinct_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS profile_activity_mv TO profile_activity AS
SELECT
    project_id,
    distinct_id,
    min(occurred_at) AS first_seen,
    max(occurred_at) AS last_seen,
    toUInt64(count()) AS total_events,
    toUInt64(countIf(kind = 'page_view')) AS pageviews,
    uniqStateIf(session_id, session_id != '') AS sessions,
    argMaxState((browser, browser_version, os, os_version, device_type, country, region, city), occurred_at) AS last_client
FROM events
WHERE NOT cookieless
GROUP BY project_id, distinct_id;

-- Events per distinct id and day (UTC), for a person's activity heatmap without scanning events.
-- sharding_key: cityHash64(project_id, distinct_id)
CREATE TABLE IF NOT EXISTS profile_days
(
    project_id  UUID,
    distinct_id String,
    day         Date,
    events      UInt64
)
ENGINE = SummingMergeTree
ORDER BY (project_id, distinct_id, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS profile_days_mv TO profile_days AS
SELECT project_id, distinct_id, toDate(occurred_at) AS day, toUInt64(count()) AS events
FROM events
WHERE NOT cookieless
GROUP BY project_id, distinct_id, day;
