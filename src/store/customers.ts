// People who sign in to the dashboard. Addresses arrive normalised (trimmed, lower-case): one row per address.

import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

export interface Customer {
  id: string;
  email: string;
  emailVerified: boolean;
  /** argon2id; null until the person sets a password. */
  passwordHash: string | null;
}

interface CustomerRow {
  id: string;
  email: string;
  email_verified: boolean;
  password_hash: string | null;
}

const customer = (row: CustomerRow | undefined): Customer | undefined =>
  row && { id: row.id, email: row.email, emailVerified: row.email_verified, passwordHash: row.password_hash };

export async function customerById(sql: Db, id: string): Promise<Customer | undefined> {
  const [row] = await sql<CustomerRow[]>`SELECT id, email, email_verified, password_hash FROM customers WHERE id = ${id}`;
  return customer(row);
}

export async function customerByEmail(sql: Db, email: string): Promise<Customer | undefined> {
  const [row] = await sql<CustomerRow[]>`SELECT id, email, email_verified, password_hash FROM customers WHERE email = ${email}`;
  return customer(row);
}

/** A new customer's id; undefined when the address already has an account (a concurrent sign-up won). */
export async function insertCustomer(sql: Db, email: string): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`INSERT INTO customers (email) VALUES (${email}) ON CONFLICT (email) DO NOTHING RETURNING id`;
  return row?.id;
}

/** The id of the address's account, created if there is none. */
export async function customerIdFor(sql: Db, email: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO customers (email) VALUES (${email}) ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`;
  return row!.id;
}

/** A sign-in through a mailed link also proves the address. */
export async function recordSignIn(sql: Db, id: string, provedAddress: boolean): Promise<void> {
  await sql`UPDATE customers SET last_sign_in_at = now(), email_verified = email_verified OR ${provedAddress} WHERE id = ${id}`;
}

/** A sign-in through a provider: the address counts as proven only when the one the provider vouches for is the account's. */
export async function recordSignInVouchedFor(sql: Db, id: string, vouchedEmail: string | undefined): Promise<void> {
  await sql`UPDATE customers SET last_sign_in_at = now(), email_verified = email_verified OR coalesce(email = ${vouchedEmail ?? null}, false) WHERE id = ${id}`;
}

/** Sets the password and ends the person's sessions: access tokens issued before `sessionsValidAfter` are refused.
 * False when there is no such customer. */
export async function setPasswordHash(sql: Db, id: string, hash: string, sessionsValidAfter: Date): Promise<boolean> {
  const rows = await sql`UPDATE customers SET password_hash = ${hash}, sessions_valid_after = ${sessionsValidAfter} WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}
