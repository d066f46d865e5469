-- Who an OIDC provider's subject is here. Bound at the first sign-in (by the address the provider vouches for);
-- later sign-ins go by (provider, subject) alone, so a changed address at the provider keeps the same account.

CREATE TABLE oidc_identities (
    -- An id from PUG_OIDC_PROVIDERS.
    provider_id text NOT NULL CHECK (length(provider_id) BETWEEN 1 AND 63),
    -- The id_token's sub: stable and unique per provider (OIDC Core 2).
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, subject)
);

CREATE INDEX oidc_identities_by_customer ON oidc_identities (customer_id);
