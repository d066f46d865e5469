// Rotating refresh tokens, kept as their SHA-256. A sign-in starts a family; a refresh spends one token and adds
// the next to its family. A spent or revoked token presented again means a copy is about: the family is revoked.

import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

export const REFRESH_TOKEN_TTL_DAYS = 90;

export async function insertRefreshToken(sql: Db, token: { hash: Buffer; familyId: string; customerId: string }): Promise<void> {
  await sql`
    INSERT INTO refresh_tokens (token_sha256, family_id, customer_id, expires_at)
    VALUES (${token.hash}, ${token.familyId}, ${token.customerId}, now() + make_interval(days => ${REFRESH_TOKEN_TTL_DAYS}))`;
}

export type SpentRefreshToken =
  | { outcome: "spent"; customerId: string; familyId: string }
  /** Already spent or revoked: its family has now been revoked. */
  | { outcome: "reused" }
  | { outcome: "expired" }
  | { outcome: "unknown" };

/** Spends a live token; a second presentation of a spent one revokes its whole family. */
export async function spendRefreshToken(sql: Db, hash: Buffer): Promise<SpentRefreshToken> {
  const [spent] = await sql<{ customer_id: string; family_id: string }[]>`
    UPDATE refresh_tokens SET used_at = now()
    WHERE token_sha256 = ${hash} AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    RETURNING customer_id, family_id`;
  if (spent) return { outcome: "spent", customerId: spent.customer_id, familyId: spent.family_id };
  const [row] = await sql<{ family_id: string; dead: boolean }[]>`
    SELECT family_id, (used_at IS NOT NULL OR revoked_at IS NOT NULL) AS dead FROM refresh_tokens WHERE token_sha256 = ${hash}`;
  if (!row) return { outcome: "unknown" };
  if (!row.dead) return { outcome: "expired" };
  await revokeFamily(sql, row.family_id);
  return { outcome: "reused" };
}

/** Revokes the family the token belongs to; false when no such token is stored. */
export async function revokeFamilyOf(sql: Db, hash: Buffer): Promise<boolean> {
  const [row] = await sql<{ family_id: string }[]>`SELECT family_id FROM refresh_tokens WHERE token_sha256 = ${hash}`;
  if (!row) return false;
  await revokeFamily(sql, row.family_id);
  return true;
}

/** Whether the customer's session `familyId` is live (none of its tokens revoked) and started (its first token
 * issued) within the last `minutes`. */
export async function familyStartedWithin(sql: Db, customerId: string, familyId: string, minutes: number): Promise<boolean> {
  const [row] = await sql<{ recent: boolean | null }[]>`
    SELECT min(created_at) > now() - make_interval(mins => ${minutes}) AND bool_and(revoked_at IS NULL) AS recent
    FROM refresh_tokens WHERE family_id = ${familyId} AND customer_id = ${customerId}`;
  return row?.recent === true;
}

/** Revokes every live family of the customer except `keepFamilyId` (all of them without one); how many tokens. */
export async function revokeOtherFamilies(sql: Db, customerId: string, keepFamilyId: string | undefined): Promise<number> {
  const revoked = await sql`
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE customer_id = ${customerId} AND revoked_at IS NULL AND family_id IS DISTINCT FROM ${keepFamilyId ?? null}::uuid`;
  return revoked.count;
}

async function revokeFamily(sql: Db, familyId: string): Promise<void> {
  await sql`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ${familyId} AND revoked_at IS NULL`;
}
