-- API keys authenticate SDK calls. A key is looked up by its SHA-256, the only form a private key is kept in.
-- Public keys sit in web pages anyway, so the dashboard may show them again; private keys are shown once.
CREATE TABLE api_keys (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('public', 'private')),
    key_sha256 bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
    public_key text CHECK ((kind = 'public') = (public_key IS NOT NULL)),
    hint       text NOT NULL,
    label      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE INDEX api_keys_project_id_idx ON api_keys (project_id);
