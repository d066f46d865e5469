-- Right to be forgotten. A request erases one person (by external id) with every alias: events, profile and alias
-- rows, in ClickHouse and Postgres. The request row stays as the record that it was carried out.
CREATE TABLE deletion_requests (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id        uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    external_id       text NOT NULL,
    -- The profile erased; no foreign key, since erasing it is the point.
    profile_id        uuid,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    events_identified bigint NOT NULL DEFAULT 0,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    completed_at      timestamptz,
    error             text NOT NULL DEFAULT ''
);

CREATE INDEX deletion_requests_by_project ON deletion_requests (project_id, requested_at DESC);

-- Distinct ids being or having been erased. The events and profile writers drop what they are about to store for
-- such an id when it was received before `cutoff` (NULL while the erasure runs: everything), so events still in
-- flight never reappear after the erasure completed. Kept at least as long as a queued message may wait.
CREATE TABLE erasure_tombstones (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    distinct_id text NOT NULL,
    request_id  uuid NOT NULL REFERENCES deletion_requests (id) ON DELETE CASCADE,
    cutoff      timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, distinct_id, request_id)
);
