// Which account an OIDC provider's subject signs in (see migrations/postgres/0009_oidc_identities.sql).

import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

export async function customerIdBySubject(sql: Db, providerId: string, subject: string): Promise<string | undefined> {
  const [row] = await sql<{ customer_id: string }[]>`SELECT customer_id FROM oidc_identities WHERE provider_id = ${providerId} AND subject = ${subject}`;
  return row?.customer_id;
}

/** Binds the subject to the customer; the customer it is bound to (another, when a concurrent sign-in bound it first). */
export async function bindSubject(sql: Db, providerId: string, subject: string, customerId: string): Promise<string> {
  const [row] = await sql<{ customer_id: string }[]>`
    INSERT INTO oidc_identities (provider_id, subject, customer_id) VALUES (${providerId}, ${subject}, ${customerId})
    ON CONFLICT (provider_id, subject) DO UPDATE SET provider_id = EXCLUDED.provider_id
    RETURNING customer_id`;
  return row!.customer_id;
}
