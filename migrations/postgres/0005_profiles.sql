-- People. Postgres is the truth for identity; ClickHouse keeps a mirror (`profiles`, `profile_aliases`) for queries.
--
-- A profile is one person of a project, keyed by the application's own user id (external_id). At most one live
-- profile per external id: the partial unique index is what makes concurrent identify calls converge on one row.
-- Traits are a JSON object, shallow-merged; trait_times holds, per key, the receive time (ms) of the call that set
-- it, so applying the same calls in another order (a replay, a failover) ends in the same traits.
-- `version` orders the mirror's rows: every change takes the next value of identity_version.
CREATE SEQUENCE identity_version;

CREATE TABLE profiles (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 255),
    traits      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(traits) = 'object'),
    trait_times jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(trait_times) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Soft delete: a merged anonymous profile, or a profile deleted from the API. Erasure deletes the row.
    deleted_at  timestamptz,
    merged_into uuid REFERENCES profiles (id) ON DELETE SET NULL,
    version     bigint NOT NULL DEFAULT nextval('identity_version')
);

CREATE UNIQUE INDEX profiles_one_live_per_external_id ON profiles (project_id, external_id) WHERE deleted_at IS NULL;
CREATE INDEX profiles_by_creation ON profiles (project_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
-- Deleted profiles too are looked up by external id (the anonymous profile a merge soft-deleted, erasure) and by
-- the person they were merged into; without these every identify would scan the table.
CREATE INDEX profiles_by_external_id ON profiles (project_id, external_id);
CREATE INDEX profiles_by_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL;

-- An anonymous distinct id (`anon-…`) that belongs to a person: every event sent under it, before or after the
-- identify that linked it, counts as that person's. An alias points at one person for good.
CREATE TABLE profile_aliases (
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    alias_id   text NOT NULL CHECK (alias_id LIKE 'anon-%'),
    profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    version    bigint NOT NULL DEFAULT nextval('identity_version'),
    PRIMARY KEY (project_id, alias_id)
);

CREATE INDEX profile_aliases_by_profile ON profile_aliases (profile_id);
