// Which account an OIDC provider's subject signs in (see migrations/postgres/0009_oidc_identities.sql). Keyed by
// the issuer: the configured provider id is kept only as information.

import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

export interface OidcSubject {
  issuer: string;
  subject: string;
  /** The configured provider it came through. */
  providerId: string;
}

export async function customerIdBySubject(sql: Db, who: OidcSubject): Promise<string | undefined> {
  const [row] = await sql<{ customer_id: string }[]>`SELECT customer_id FROM oidc_identities WHERE issuer = ${who.issuer} AND subject = ${who.subject}`;
  return row?.customer_id;
}

/** Binds the subject to the customer; the customer it is bound to (another, when a concurrent sign-in bound it first). */
export async function bindSubject(sql: Db, who: OidcSubject, customerId: string): Promise<string> {
  const [row] = await sql<{ customer_id: string }[]>`
    INSERT INTO oidc_identities (issuer, subject, customer_id, provider_id) VALUES (${who.issuer}, ${who.subject}, ${customerId}, ${who.providerId})
    ON CONFLICT (issuer, subject) DO UPDATE SET issuer = EXCLUDED.issuer
    RETURNING customer_id`;
  return row!.customer_id;
}
