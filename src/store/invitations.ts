// Invitations to an org (the invitations table). The link's token is kept only as its SHA-256. Pending means
// neither accepted nor revoked; the table allows one pending invitation per org and address, so inviting an
// address again re-issues that one (new token, new role, 7 more days). Redemption is AuthService's
// (CompleteMagicLink); this module creates, lists, re-issues and revokes.

import type { TransactionSql } from "postgres";
import type { Role } from "../domain/auth/roles.ts";
import type { Sql } from "../infra/postgres.ts";

/** How long an invitation link works. */
export const INVITATION_TTL_DAYS = 7;

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  expiresAt: Date;
}

const COLUMNS = (sql: Sql | TransactionSql) => sql`id, org_id AS "orgId", email, role, expires_at AS "expiresAt"`;
const EXPIRY = (sql: Sql | TransactionSql) => sql`now() + make_interval(days => ${INVITATION_TTL_DAYS})`;

/** A pending invitation for the address, new or re-issued with this token and role. */
export async function issueInvitation(
  tx: TransactionSql,
  invite: { orgId: string; email: string; role: Role; invitedBy: string; tokenHash: Buffer },
): Promise<Invitation> {
  const [row] = await tx<Invitation[]>`
    INSERT INTO invitations (org_id, email, role, token_sha256, invited_by, expires_at)
    VALUES (${invite.orgId}, ${invite.email}, ${invite.role}, ${invite.tokenHash}, ${invite.invitedBy}, ${EXPIRY(tx)})
    ON CONFLICT (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL
    DO UPDATE SET role = EXCLUDED.role, token_sha256 = EXCLUDED.token_sha256, invited_by = EXCLUDED.invited_by, expires_at = EXCLUDED.expires_at
    RETURNING ${COLUMNS(tx)}`;
  return row!;
}

/** A new token and 7 more days for a pending invitation of the org (expired or not); undefined if there is none. */
export async function reissueInvitation(tx: TransactionSql, orgId: string, id: string, tokenHash: Buffer, invitedBy: string): Promise<Invitation | undefined> {
  const [row] = await tx<Invitation[]>`
    UPDATE invitations SET token_sha256 = ${tokenHash}, invited_by = ${invitedBy}, expires_at = ${EXPIRY(tx)}
    WHERE id = ${id} AND org_id = ${orgId} AND accepted_at IS NULL AND revoked_at IS NULL
    RETURNING ${COLUMNS(tx)}`;
  return row;
}

/** Whether a pending invitation of the org was revoked. */
export async function revokeInvitation(sql: Sql, orgId: string, id: string): Promise<boolean> {
  const rows = await sql`
    UPDATE invitations SET revoked_at = now()
    WHERE id = ${id} AND org_id = ${orgId} AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}

/** The org's invitations that can still be accepted (pending and not expired), newest first. */
export async function openInvitations(sql: Sql, orgId: string): Promise<Invitation[]> {
  return await sql<Invitation[]>`
    SELECT ${COLUMNS(sql)} FROM invitations
    WHERE org_id = ${orgId} AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    ORDER BY created_at DESC, id`;
}

/** Invitation mails an org may queue in an hour (invites, re-invites, resends): the install's mail must not become a spam cannon. */
export const INVITATIONS_PER_ORG_PER_HOUR = 50;
/** Mails one invitation may be sent in an hour: resending cannot flood one address. */
export const SENDS_PER_INVITATION_PER_HOUR = 3;

/**
 * Whether `customerId` is still an admin of the org and the org is under its hourly budget of invitation mails.
 * The org row is locked first, so the org's sends are counted one transaction at a time (each then records its
 * send before committing); the member row is share-locked, so a concurrent demotion waits for this transaction
 * or is seen by it.
 */
export async function invitationAllowed(tx: TransactionSql, orgId: string, customerId: string): Promise<"ok" | "not_admin" | "over_budget"> {
  await tx`SELECT 1 FROM orgs WHERE id = ${orgId} FOR UPDATE`;
  const [member] = await tx<{ role: Role }[]>`SELECT role FROM org_members WHERE org_id = ${orgId} AND customer_id = ${customerId} FOR SHARE`;
  if (member?.role !== "admin") return "not_admin";
  const [row] = await tx<{ sent: number }[]>`
    SELECT count(*)::int AS sent FROM invitation_sends WHERE org_id = ${orgId} AND sent_at > now() - interval '1 hour'`;
  return row!.sent >= INVITATIONS_PER_ORG_PER_HOUR ? "over_budget" : "ok";
}

/**
 * Records a mail of the invitation, unless it was already sent SENDS_PER_INVITATION_PER_HOUR times within the hour
 * (false). Call after invitationAllowed, in its transaction: the org row's lock serialises the count and the insert.
 */
export async function recordInvitationSend(tx: TransactionSql, invitation: Invitation): Promise<boolean> {
  const [row] = await tx<{ sent: number }[]>`
    SELECT count(*)::int AS sent FROM invitation_sends WHERE invitation_id = ${invitation.id} AND sent_at > now() - interval '1 hour'`;
  if (row!.sent >= SENDS_PER_INVITATION_PER_HOUR) return false;
  await tx`INSERT INTO invitation_sends (org_id, invitation_id) VALUES (${invitation.orgId}, ${invitation.id})`;
  return true;
}
