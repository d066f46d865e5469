-- Who an OIDC provider's subject is here. Bound at the first sign-in (by the address the provider vouches for);
-- later sign-ins go by (issuer, subject) alone, so a changed address at the provider keeps the same account.
-- Keyed by the issuer, not by the configured provider id: an operator who points an id at another IdP (a new
-- issuer_url) must not let the new IdP's subjects match the old one's bindings.

CREATE TABLE oidc_identities (
    -- The provider's issuer (its id_tokens' iss), exactly as configured in PUG_OIDC_PROVIDERS.
    issuer      text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2048),
    -- The id_token's sub: stable and unique per issuer (OIDC Core 2).
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- The PUG_OIDC_PROVIDERS id it was bound through; information only.
    provider_id text NOT NULL CHECK (length(provider_id) BETWEEN 1 AND 63),
    PRIMARY KEY (issuer, subject)
);

CREATE INDEX oidc_identities_by_customer ON oidc_identities (customer_id);
