-- The filter schema: which event names, property keys (with their value types) and recent values each project
-- has, for GetFilterSchema and GetPropertyValues. Materialized views keep it as events and profile mirror rows
-- are written, each insert block aggregated in the view (GROUP BY), so reading it never scans events. Rows of
-- one key are summed on merge; readers still aggregate (sum count, max last_seen) across unmerged parts.
--
-- last_seen is when Pug received the event (received_at), or when the profile version was written (updated_at):
-- the server's clock, so a client clock far in the future cannot keep a value alive past its TTL.
-- Counts are of rows written: a batch ClickHouse drops as a repeat (same deduplication token) reaches no view,
-- but an event the SDK sent twice in two batches counts twice until ReplacingMergeTree collapses it in events.
-- For profile keys, count is the number of profile versions written with the key.
--
-- Property sources are the contract's PropertySource (1 auto, 2 custom, 3 profile), value types its ValueType
-- (1 string, 2 integer, 3 float, 4 boolean, 5 datetime, 6 other), read from the *_types maps (absent = string).
-- Automatic keys are the auto_properties keys and the promoted columns under their `$` names, as listed in
-- src/domain/properties/promoted-columns.ts (test/migrate/pure.test.ts keeps these lists equal to it). A
-- promoted name is taken from its column only (when non-empty), never from auto_properties, so `$referrer` is
-- the referrer as stored (self-referrals blanked) and `$screenWidth` an integer, as queries will read them.

-- sharding_key: cityHash64(project_id)
CREATE TABLE IF NOT EXISTS event_names
(
    project_id UUID,
    kind       LowCardinality(String),
    count      SimpleAggregateFunction(sum, UInt64),
    last_seen  SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, kind);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_names_mv TO event_names AS
SELECT project_id, kind, toUInt64(count()) AS count, max(received_at) AS last_seen
FROM events
GROUP BY project_id, kind;

-- A key sent with two types (an int here, a string there) has a row per type; profile keys have kind ''.
-- sharding_key: cityHash64(project_id)
CREATE TABLE IF NOT EXISTS property_keys
(
    project_id UUID,
    source     UInt8,
    key        String,
    value_type UInt8,
    kind       LowCardinality(String),
    count      SimpleAggregateFunction(sum, UInt64),
    last_seen  SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, source, key, value_type, kind);

CREATE MATERIALIZED VIEW IF NOT EXISTS property_keys_events_mv TO property_keys AS
SELECT project_id, p.1 AS source, p.2 AS key, p.3 AS value_type, kind, toUInt64(count()) AS count, max(received_at) AS last_seen
FROM events
ARRAY JOIN arrayConcat(
    arrayMap(k -> (toUInt8(1), toString(k), if(mapContains(auto_types, k), auto_types[k], toUInt8(1))),
        arrayFilter(k -> NOT has(['$url', '$pathname', '$hostname', '$referrer', '$referrerDomain', '$channel', '$utmSource', '$utmMedium', '$utmCampaign', '$utmTerm', '$utmContent', '$pageTitle', '$locale', '$screenWidth', '$screenHeight', '$platform', '$sdkVersion', '$browser', '$browserVersion', '$os', '$osVersion', '$device', '$country', '$region', '$city'], k), mapKeys(auto_properties))),
    arrayMap(c -> (toUInt8(1), c.1, c.2), arrayFilter(c -> c.3, [
        ('$url', toUInt8(1), url != ''), ('$pathname', toUInt8(1), pathname != ''), ('$hostname', toUInt8(1), hostname != ''),
        ('$referrer', toUInt8(1), referrer != ''), ('$referrerDomain', toUInt8(1), referrer_domain != ''), ('$channel', toUInt8(1), channel != ''),
        ('$utmSource', toUInt8(1), utm_source != ''), ('$utmMedium', toUInt8(1), utm_medium != ''), ('$utmCampaign', toUInt8(1), utm_campaign != ''),
        ('$utmTerm', toUInt8(1), utm_term != ''), ('$utmContent', toUInt8(1), utm_content != ''), ('$pageTitle', toUInt8(1), page_title != ''),
        ('$locale', toUInt8(1), locale != ''), ('$screenWidth', toUInt8(2), screen_width != 0), ('$screenHeight', toUInt8(2), screen_height != 0),
        ('$platform', toUInt8(1), platform != ''), ('$sdkVersion', toUInt8(1), sdk_version != ''), ('$browser', toUInt8(1), browser != ''),
        ('$browserVersion', toUInt8(1), browser_version != ''), ('$os', toUInt8(1), os != ''), ('$osVersion', toUInt8(1), os_version != ''),
        ('$device', toUInt8(1), device_type != ''), ('$country', toUInt8(1), country != ''), ('$region', toUInt8(1), region != ''),
        ('$city', toUInt8(1), city != '')])),
    arrayMap(k -> (toUInt8(2), toString(k), if(mapContains(custom_types, k), custom_types[k], toUInt8(1))), mapKeys(custom_properties))
) AS p
GROUP BY project_id, source, key, value_type, kind;

CREATE MATERIALIZED VIEW IF NOT EXISTS property_keys_profiles_mv TO property_keys AS
SELECT project_id, toUInt8(3) AS source, toString(k) AS key, if(mapContains(property_types, k), property_types[k], toUInt8(1)) AS value_type,
    '' AS kind, toUInt64(count()) AS count, max(updated_at) AS last_seen
FROM profiles
ARRAY JOIN mapKeys(property_texts) AS k
WHERE is_deleted = 0
GROUP BY project_id, source, key, value_type, kind;

-- Recent values per key, for suggestions (GetPropertyValues: at most 100 of the last 30 days). A row is deleted
-- 30 days after its last_seen when a merge applies the TTL; readers still filter on last_seen. Left out, since
-- none would be picked from a list and each would only grow the table: values over 256 bytes (skipped, not
-- truncated: a truncated value matches no event, so choosing it would filter everything out), empty promoted
-- columns (not set), datetimes (nearly every one is distinct) and profile traits of type OTHER (lists, objects,
-- null: JSON text).
-- sharding_key: cityHash64(project_id)
CREATE TABLE IF NOT EXISTS property_values
(
    project_id UUID,
    source     UInt8,
    key        String,
    kind       LowCardinality(String),
    value      String,
    count      SimpleAggregateFunction(sum, UInt64),
    last_seen  SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, source, key, kind, value)
TTL toDateTime(last_seen) + INTERVAL 30 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS property_values_events_mv TO property_values AS
SELECT project_id, p.1 AS source, p.2 AS key, kind, p.3 AS value, toUInt64(count()) AS count, max(received_at) AS last_seen
FROM events
ARRAY JOIN arrayFilter(v -> length(v.3) <= 256, arrayConcat(
    arrayMap(kv -> (toUInt8(1), toString(kv.1), kv.2), arrayFilter(kv -> NOT has(['$url', '$pathname', '$hostname', '$referrer', '$referrerDomain', '$channel', '$utmSource', '$utmMedium', '$utmCampaign', '$utmTerm', '$utmContent', '$pageTitle', '$locale', '$screenWidth', '$screenHeight', '$platform', '$sdkVersion', '$browser', '$browserVersion', '$os', '$osVersion', '$device', '$country', '$region', '$city'], kv.1) AND auto_types[kv.1] != 5,
        arrayZip(mapKeys(auto_properties), mapValues(auto_properties)))),
    arrayMap(c -> (toUInt8(1), c.1, c.2), arrayFilter(c -> c.2 != '', [
        ('$url', url), ('$pathname', pathname), ('$hostname', toString(hostname)),
        ('$referrer', referrer), ('$referrerDomain', toString(referrer_domain)), ('$channel', toString(channel)),
        ('$utmSource', toString(utm_source)), ('$utmMedium', toString(utm_medium)), ('$utmCampaign', utm_campaign),
        ('$utmTerm', utm_term), ('$utmContent', utm_content), ('$pageTitle', page_title),
        ('$locale', toString(locale)), ('$screenWidth', if(screen_width = 0, '', toString(screen_width))), ('$screenHeight', if(screen_height = 0, '', toString(screen_height))),
        ('$platform', toString(platform)), ('$sdkVersion', toString(sdk_version)), ('$browser', toString(browser)),
        ('$browserVersion', toString(browser_version)), ('$os', toString(os)), ('$osVersion', toString(os_version)),
        ('$device', toString(device_type)), ('$country', toString(country)), ('$region', toString(region)),
        ('$city', city)])),
    arrayMap(kv -> (toUInt8(2), toString(kv.1), kv.2), arrayFilter(kv -> custom_types[kv.1] != 5,
        arrayZip(mapKeys(custom_properties), mapValues(custom_properties))))
)) AS p
GROUP BY project_id, source, key, kind, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS property_values_profiles_mv TO property_values AS
SELECT project_id, toUInt8(3) AS source, toString(k) AS key, '' AS kind, v AS value, toUInt64(count()) AS count, max(updated_at) AS last_seen
FROM profiles
ARRAY JOIN mapKeys(property_texts) AS k, mapValues(property_texts) AS v
WHERE is_deleted = 0 AND length(v) <= 256 AND property_types[k] NOT IN (5, 6)
GROUP BY project_id, source, key, kind, value;
