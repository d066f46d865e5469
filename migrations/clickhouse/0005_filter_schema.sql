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
--
-- The views run inside every insert into events, so they are written for cost (measured in the commit): no
-- lambda over the property maps (a lambda copies every column it names once per array element), maps taken
-- apart by ARRAY JOIN and filtered by WHERE, and what has few distinct values per insert block (which keys an
-- event carries, which columns are set, the client and place columns) grouped first and taken apart after.

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

-- Events of one block grouped by the keys they carry (and their types) and the promoted columns they set: most
-- share a handful of shapes, so only those are taken apart. A type is looked up in the *_types keys and values
-- (a Map is not grouped by directly: hashing Maps in GROUP BY changed across ClickHouse versions).
CREATE MATERIALIZED VIEW IF NOT EXISTS property_keys_events_mv TO property_keys AS
SELECT project_id, p.1 AS source, p.2 AS key, p.3 AS value_type, kind, sum(events) AS count, max(seen) AS last_seen
FROM
(
    SELECT project_id, kind, mapKeys(auto_properties) AS auto_keys, mapKeys(auto_types) AS auto_typed, mapValues(auto_types) AS auto_type_values,
        mapKeys(custom_properties) AS custom_keys, mapKeys(custom_types) AS custom_typed, mapValues(custom_types) AS custom_type_values,
        [url != '', pathname != '', hostname != '', referrer != '', referrer_domain != '', channel != '', utm_source != '', utm_medium != '',
         utm_campaign != '', utm_term != '', utm_content != '', page_title != '', locale != '', screen_width != 0, screen_height != 0,
         platform != '', sdk_version != '', browser != '', browser_version != '', os != '', os_version != '', device_type != '', country != '',
         region != '', city != ''] AS set_columns,
        count() AS events, max(received_at) AS seen
    FROM events
    GROUP BY project_id, kind, auto_keys, auto_typed, auto_type_values, custom_keys, custom_typed, custom_type_values, set_columns
)
ARRAY JOIN arrayConcat(
    arrayMap(k -> (toUInt8(1), toString(k), if(has(auto_typed, k), auto_type_values[indexOf(auto_typed, k)], toUInt8(1))),
        arrayFilter(k -> NOT has(['$url', '$pathname', '$hostname', '$referrer', '$referrerDomain', '$channel', '$utmSource', '$utmMedium', '$utmCampaign', '$utmTerm', '$utmContent', '$pageTitle', '$locale', '$screenWidth', '$screenHeight', '$platform', '$sdkVersion', '$browser', '$browserVersion', '$os', '$osVersion', '$device', '$country', '$region', '$city'], k), auto_keys)),
    arrayMap(c -> (toUInt8(1), c.1, c.2), arrayFilter((c, isSet) -> isSet, [
        ('$url', toUInt8(1)), ('$pathname', toUInt8(1)), ('$hostname', toUInt8(1)), ('$referrer', toUInt8(1)), ('$referrerDomain', toUInt8(1)),
        ('$channel', toUInt8(1)), ('$utmSource', toUInt8(1)), ('$utmMedium', toUInt8(1)), ('$utmCampaign', toUInt8(1)), ('$utmTerm', toUInt8(1)),
        ('$utmContent', toUInt8(1)), ('$pageTitle', toUInt8(1)), ('$locale', toUInt8(1)), ('$screenWidth', toUInt8(2)), ('$screenHeight', toUInt8(2)),
        ('$platform', toUInt8(1)), ('$sdkVersion', toUInt8(1)), ('$browser', toUInt8(1)), ('$browserVersion', toUInt8(1)), ('$os', toUInt8(1)),
        ('$osVersion', toUInt8(1)), ('$device', toUInt8(1)), ('$country', toUInt8(1)), ('$region', toUInt8(1)), ('$city', toUInt8(1))], set_columns)),
    arrayMap(k -> (toUInt8(2), toString(k), if(has(custom_typed, k), custom_type_values[indexOf(custom_typed, k)], toUInt8(1))), custom_keys)
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
-- truncated: a truncated value matches no event, so choosing it would filter everything out), empty values
-- (an empty column is not set; "" is no suggestion), datetimes (nearly every one is distinct) and profile traits
-- of type OTHER (lists, objects, null: JSON text).
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

-- Per event: the two maps and the promoted columns with many distinct values, as parallel arrays taken apart by
-- ARRAY JOIN (origin 0 = auto_properties, 1 = a promoted column, 2 = custom_properties).
CREATE MATERIALIZED VIEW IF NOT EXISTS property_values_events_mv TO property_values AS
SELECT project_id, if(origin = 2, toUInt8(2), toUInt8(1)) AS source, key, kind, value, toUInt64(count()) AS count, max(received_at) AS last_seen
FROM events
ARRAY JOIN
    arrayConcat(arrayWithConstant(length(auto_properties), toUInt8(0)), arrayWithConstant(7, toUInt8(1)), arrayWithConstant(length(custom_properties), toUInt8(2))) AS origin,
    arrayConcat(CAST(mapKeys(auto_properties), 'Array(String)'), ['$url', '$pathname', '$referrer', '$utmCampaign', '$utmTerm', '$utmContent', '$pageTitle'], CAST(mapKeys(custom_properties), 'Array(String)')) AS key,
    arrayConcat(mapValues(auto_properties), [url, pathname, referrer, utm_campaign, utm_term, utm_content, page_title], mapValues(custom_properties)) AS value
WHERE length(value) BETWEEN 1 AND 256
    AND NOT (origin = 0 AND (key IN ('$url', '$pathname', '$hostname', '$referrer', '$referrerDomain', '$channel', '$utmSource', '$utmMedium', '$utmCampaign', '$utmTerm', '$utmContent', '$pageTitle', '$locale', '$screenWidth', '$screenHeight', '$platform', '$sdkVersion', '$browser', '$browserVersion', '$os', '$osVersion', '$device', '$country', '$region', '$city') OR auto_types[key] = 5))
    AND NOT (origin = 2 AND custom_types[key] = 5)
GROUP BY project_id, source, key, kind, value;

-- The client and place columns: few distinct combinations per insert block, so grouped first, taken apart after.
CREATE MATERIALIZED VIEW IF NOT EXISTS property_values_clients_mv TO property_values AS
SELECT project_id, toUInt8(1) AS source, c.1 AS key, kind, c.2 AS value, sum(events) AS count, max(seen) AS last_seen
FROM
(
    SELECT project_id, kind, hostname, referrer_domain, channel, utm_source, utm_medium, locale, screen_width, screen_height, platform,
        sdk_version, browser, browser_version, os, os_version, device_type, country, region, city, count() AS events, max(received_at) AS seen
    FROM events
    GROUP BY project_id, kind, hostname, referrer_domain, channel, utm_source, utm_medium, locale, screen_width, screen_height, platform,
        sdk_version, browser, browser_version, os, os_version, device_type, country, region, city
)
ARRAY JOIN arrayFilter(c -> length(c.2) BETWEEN 1 AND 256, [
    ('$hostname', toString(hostname)), ('$referrerDomain', toString(referrer_domain)), ('$channel', toString(channel)),
    ('$utmSource', toString(utm_source)), ('$utmMedium', toString(utm_medium)), ('$locale', toString(locale)),
    ('$screenWidth', if(screen_width = 0, '', toString(screen_width))), ('$screenHeight', if(screen_height = 0, '', toString(screen_height))),
    ('$platform', toString(platform)), ('$sdkVersion', toString(sdk_version)), ('$browser', toString(browser)),
    ('$browserVersion', toString(browser_version)), ('$os', toString(os)), ('$osVersion', toString(os_version)),
    ('$device', toString(device_type)), ('$country', toString(country)), ('$region', toString(region)), ('$city', city)]) AS c
GROUP BY project_id, source, key, kind, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS property_values_profiles_mv TO property_values AS
SELECT project_id, toUInt8(3) AS source, toString(k) AS key, '' AS kind, v AS value, toUInt64(count()) AS count, max(updated_at) AS last_seen
FROM profiles
ARRAY JOIN mapKeys(property_texts) AS k, mapValues(property_texts) AS v
WHERE is_deleted = 0 AND length(v) BETWEEN 1 AND 256 AND property_types[k] NOT IN (5, 6)
GROUP BY project_id, source, key, kind, value;
