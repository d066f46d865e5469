-- The control plane: people who sign in to the dashboard (customers), their roles in orgs, invitations, sign-in
-- links and sessions, dashboards, usage and the scheduler's ledger. Every secret (link, refresh token) is kept
-- only as its SHA-256: a copy of the database signs nobody in.

CREATE TABLE customers (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Lower-cased and trimmed before it gets here: one account per address, however it is typed.
    email           text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
    display_name    text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    -- argon2id (Bun.password); NULL until the person sets a password.
    password_hash   text,
    email_verified  boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz
);

CREATE TABLE org_members (
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, customer_id)
);

CREATE INDEX org_members_by_customer ON org_members (customer_id);

-- A link mailed to an address; redeemed through CompleteMagicLink. Pending = neither accepted nor revoked.
CREATE TABLE invitations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email        text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
    role         text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    invited_by   uuid REFERENCES customers (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz
);

-- One pending invitation per address and org: inviting again is a resend.
CREATE UNIQUE INDEX invitations_one_pending ON invitations (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_by_expiry ON invitations (expires_at);

-- Single use, short-lived; a newer link for the address voids the older ones.
CREATE TABLE magic_links (
    token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    email        text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    voided_at    timestamptz
);

CREATE INDEX magic_links_by_email ON magic_links (email) WHERE used_at IS NULL AND voided_at IS NULL;
CREATE INDEX magic_links_by_expiry ON magic_links (expires_at);

-- Rotating refresh tokens. Each sign-in starts a family; each refresh spends one token and adds the next. A spent
-- token presented again means it was copied: the whole family is revoked.
CREATE TABLE refresh_tokens (
    token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    family_id    uuid NOT NULL,
    customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
-- A person's sessions: ended together when their password changes (and when the person is deleted).
CREATE INDEX refresh_tokens_by_customer ON refresh_tokens (customer_id);

-- 0 keeps a project's events for ever.
ALTER TABLE projects ADD COLUMN retention_days integer NOT NULL DEFAULT 0 CHECK (retention_days BETWEEN 0 AND 36500);
CREATE INDEX projects_deleted ON projects (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE dashboards (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- common.v1.TimeRangePreset and shared.insights.v1.Granularity numbers; 0 = unset.
    default_time_range  integer NOT NULL DEFAULT 0,
    default_granularity integer NOT NULL DEFAULT 0,
    -- Set while shared by link.
    share_id            text UNIQUE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dashboards_by_project ON dashboards (project_id, created_at);

CREATE TABLE dashboard_tiles (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dashboard_id uuid NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    -- Order in the Upsert list.
    ordinal      integer NOT NULL,
    -- The tile as dashboard.dashboards.v1.DashboardTile JSON (content, view options, position); id, dashboard id
    -- and times live in the columns.
    body         jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dashboard_tiles_by_dashboard ON dashboard_tiles (dashboard_id, ordinal);

-- Events accepted per project and UTC day, copied from ClickHouse's rollup by the scheduler.
CREATE TABLE usage_days (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    day         date NOT NULL,
    event_count bigint NOT NULL CHECK (event_count >= 0),
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, day)
);

-- Mail sent, by idempotency key: a job delivered again is not sent again. The scheduler deletes rows older than
-- 30 days (the email stream keeps a job 7 days).
CREATE TABLE email_deliveries (
    idempotency_key text PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    template        text NOT NULL,
    recipient       text NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    message_id      text
);

CREATE INDEX email_deliveries_by_sent ON email_deliveries (sent_at);

-- One row per job and scheduled time: the scheduler that inserts it runs the job, any other skips. 'skipped': the
-- claimer found another run of the job still going. The scheduler deletes rows older than 30 days.
CREATE TABLE scheduler_runs (
    job         text NOT NULL,
    slot        timestamptz NOT NULL,
    runner      text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text CHECK (outcome IN ('ok', 'failed', 'skipped')),
    detail      text,
    PRIMARY KEY (job, slot)
);

-- One row per invitation mail queued (invite, re-invite, resend), written in the transaction that queues it: the
-- hourly budgets (per org, and per invitation) count mails, not invitation rows. The scheduler deletes rows older
-- than a day.
CREATE TABLE invitation_sends (
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    invitation_id uuid NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    sent_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX invitation_sends_by_org ON invitation_sends (org_id, sent_at);
CREATE INDEX invitation_sends_by_invitation ON invitation_sends (invitation_id, sent_at);

-- Access tokens issued before this are refused (NULL: the person's sessions were never ended). Set, to the
-- second, when the person changes their password: refresh families are revoked then too, but an access token
-- lives up to 24 h on its own.
ALTER TABLE customers ADD COLUMN sessions_valid_after timestamptz;
