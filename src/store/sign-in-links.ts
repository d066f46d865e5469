// Mailed sign-in secrets: magic links (15 minutes, single use, a newer one voids the older ones) and the
// redemption side of invitations (created by the orgs service). Both are kept only as the token's SHA-256 and
// spent with one UPDATE … WHERE unused … RETURNING, so two concurrent redemptions cannot both succeed.

import type { Sql, TransactionSql } from "postgres";
import type { Role } from "../domain/auth/roles.ts";
import { lockInputName } from "./input-locks.ts";

type Db = Sql | TransactionSql;

export const MAGIC_LINK_TTL_MINUTES = 15;

/**
 * Stores a new link for `email` and voids that address's unused ones (inside the caller's transaction). Requests
 * for one address take turns (a lock until the caller commits): under READ COMMITTED, two at once would each miss
 * the other's uncommitted link and leave both live.
 */
export async function storeMagicLink(tx: TransactionSql, email: string, tokenHash: Buffer): Promise<void> {
  await lockInputName(tx, `magic link\n${email}`);
  await tx`UPDATE magic_links SET voided_at = now() WHERE email = ${email} AND used_at IS NULL AND voided_at IS NULL`;
  await tx`INSERT INTO magic_links (token_sha256, email, expires_at) VALUES (${tokenHash}, ${email}, now() + make_interval(mins => ${MAGIC_LINK_TTL_MINUTES}))`;
}

/** The address of a valid link, which is spent by this call; undefined for unknown, used, voided or expired. */
export async function spendMagicLink(sql: Db, tokenHash: Buffer): Promise<string | undefined> {
  const [row] = await sql<{ email: string }[]>`
    UPDATE magic_links SET used_at = now()
    WHERE token_sha256 = ${tokenHash} AND used_at IS NULL AND voided_at IS NULL AND expires_at > now()
    RETURNING email`;
  return row?.email;
}

export interface SpentInvitation {
  orgId: string;
  email: string;
  role: Role;
}

/** A pending, unexpired invitation, marked accepted by this call; undefined otherwise. */
export async function spendInvitation(sql: Db, tokenHash: Buffer): Promise<SpentInvitation | undefined> {
  const [row] = await sql<{ org_id: string; email: string; role: Role }[]>`
    UPDATE invitations SET accepted_at = now()
    WHERE token_sha256 = ${tokenHash} AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    RETURNING org_id, email, role`;
  return row && { orgId: row.org_id, email: row.email, role: row.role };
}
