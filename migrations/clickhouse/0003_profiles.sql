-- The mirror of Postgres' profiles, for queries. One row per (project, external id); the newest version wins
-- and a row with is_deleted = 1 hides the profile. Traits are kept as JSON (to return them) and as typed maps
-- like events' properties (to filter on them): text of every value, numbers, and the type of every key.
-- sharding_key: cityHash64(project_id, external_id)
CREATE TABLE IF NOT EXISTS profiles
(
    project_id       UUID,
    external_id      String,
    profile_id       UUID,
    properties       String,
    property_texts   Map(LowCardinality(String), String),
    property_numbers Map(LowCardinality(String), Float64),
    property_types   Map(LowCardinality(String), UInt8),
    created_at       DateTime64(3, 'UTC'),
    updated_at       DateTime64(3, 'UTC'),
    version          UInt64,
    is_deleted       UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (project_id, external_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Anonymous distinct ids that belong to a person (see Postgres' profile_aliases). Queries resolve an event's
-- distinct_id to its person through this table.
-- sharding_key: cityHash64(project_id, alias_id)
CREATE TABLE IF NOT EXISTS profile_aliases
(
    project_id  UUID,
    alias_id    String,
    external_id String,
    profile_id  UUID,
    version     UInt64,
    is_deleted  UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (project_id, alias_id)
SETTINGS non_replicated_deduplication_window = 1000;
