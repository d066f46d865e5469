-- Every analytics event, one row each. The project leads the sort key (every query names one), then the day and
-- the kind most queries filter on. A redelivered event has the same sort key, so ReplacingMergeTree collapses it;
-- a redelivered batch is dropped whole at insert time by its insert_deduplication_token.
-- sharding_key: cityHash64(project_id, distinct_id)
CREATE TABLE IF NOT EXISTS events
(
    project_id        UUID,
    event_id          UUID,
    kind              LowCardinality(String),
    occurred_at       DateTime64(3, 'UTC'),
    received_at       DateTime64(3, 'UTC'),
    distinct_id       String,
    session_id        String,
    cookieless        Bool,
    is_bot            Bool,
    url               String,
    pathname          String,
    hostname          LowCardinality(String),
    referrer          String,
    referrer_domain   LowCardinality(String),
    channel           LowCardinality(String),
    utm_source        LowCardinality(String),
    utm_medium        LowCardinality(String),
    utm_campaign      String,
    utm_term          String,
    utm_content       String,
    page_title        String,
    locale            LowCardinality(String),
    screen_width      UInt16,
    screen_height     UInt16,
    platform          LowCardinality(String),
    sdk_version       LowCardinality(String),
    browser           LowCardinality(String),
    browser_version   LowCardinality(String),
    os                LowCardinality(String),
    os_version        LowCardinality(String),
    device_type       LowCardinality(String),
    country           LowCardinality(String),
    region            LowCardinality(String),
    city              String,
    auto_properties   Map(LowCardinality(String), String),
    custom_properties Map(LowCardinality(String), String),
    custom_numbers    Map(LowCardinality(String), Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (project_id, toDate(occurred_at), kind, event_id)
SETTINGS non_replicated_deduplication_window = 1000;
