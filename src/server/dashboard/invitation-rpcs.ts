// OrgsService's invitation calls. An invitation is a pending row (one per org and address) and a mail with a
// single-use link valid 7 days; its token is kept only hashed. The mail is queued inside the transaction that
// writes the row: if it cannot be queued nothing changes and the caller retries; a resend or a repeated invite
// makes a new token (the old link stops working) and so a new mail, never a duplicate of the old one.
//
// ListInvitations shows only invitations that can still be accepted: the wire's status knows no "expired", and a
// listed PENDING invitation whose link no longer works would mislead. An expired one is re-issued by inviting
// the address again (or by ResendInvite with its id).

import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TransactionSql } from "postgres";
import { type Role, roleToProto } from "../../domain/auth/roles.ts";
import { generateSecretToken, secretTokenHash, signInLink } from "../../domain/auth/secret-token.ts";
import { normalizedEmail } from "../../domain/email/email-address.ts";
import { FieldError } from "../../domain/field-error.ts";
import { isUuid } from "../../domain/uuid.ts";
import { InvitationStatus, type OrgInvitationSchema } from "../../gen/dashboard/orgs/v1/orgs_pb.ts";
import {
  INVITATION_TTL_DAYS,
  INVITATIONS_PER_ORG_PER_HOUR,
  type Invitation,
  invitationAllowed,
  issueInvitation,
  openInvitations,
  recordInvitationSend,
  reissueInvitation,
  revokeInvitation,
  SENDS_PER_INVITATION_PER_HOUR,
} from "../../store/invitations.ts";
import { getOrg, isMemberEmail } from "../../store/orgs.ts";
import { roleRefusal } from "../auth/auth-boundary.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { emailSealKeyOrRefuse, queueEmail } from "./email-queue.ts";

type InvitationReply = Promise<{ invitation: MessageInitShape<typeof OrgInvitationSchema> }>;

/** The org and admin a call acts for, as the auth boundary established them. */
interface Inviter {
  orgId: string;
  customerId: string;
}

export async function inviteMember(deps: DashboardDeps, by: Inviter, email: string, role: Role): InvitationReply {
  const address = normalizedEmail(email, "email");
  return await issueWithMail(deps, by, async (tx, tokenHash) => {
    if (await isMemberEmail(tx, by.orgId, address)) throw new ConnectError(`${address} is already a member of this org`, Code.AlreadyExists);
    return await issueInvitation(tx, { orgId: by.orgId, email: address, role, invitedBy: by.customerId, tokenHash });
  });
}

export async function resendInvite(deps: DashboardDeps, by: Inviter, invitationId: string): InvitationReply {
  const id = invitationIdOf(invitationId);
  return await issueWithMail(deps, by, (tx, tokenHash) => reissueInvitation(tx, by.orgId, id, tokenHash, by.customerId));
}

export async function revokeInvite(deps: DashboardDeps, by: Inviter, invitationId: string): Promise<Record<never, never>> {
  if (!(await revokeInvitation(deps.sql, by.orgId, invitationIdOf(invitationId)))) throw notFound();
  return {};
}

export async function listInvitations(deps: DashboardDeps, by: Inviter): Promise<{ invitations: MessageInitShape<typeof OrgInvitationSchema>[] }> {
  return { invitations: (await openInvitations(deps.sql, by.orgId)).map(invitationMessage) };
}

/**
 * Writes the invitation with a fresh token (`write`), records the send and queues its mail, in one transaction;
 * refused when the org's or the invitation's hourly budget of mails is spent (the write is then rolled back).
 */
async function issueWithMail(deps: DashboardDeps, by: Inviter, write: (tx: TransactionSql, tokenHash: Buffer) => Promise<Invitation | undefined>): InvitationReply {
  const token = generateSecretToken();
  const tokenHash = secretTokenHash(token);
  const mailKey = emailSealKeyOrRefuse(deps.config.server.jwtSecret);
  return await deps.sql.begin(async (tx) => {
    const allowed = await invitationAllowed(tx, by.orgId, by.customerId);
    if (allowed === "not_admin") throw roleRefusal("you are no longer an admin of this org");
    if (allowed === "over_budget") throw new ConnectError(`this org has sent ${INVITATIONS_PER_ORG_PER_HOUR} invitations in the last hour; wait before sending more`, Code.ResourceExhausted);
    const invitation = await write(tx, tokenHash);
    if (!invitation) throw notFound();
    if (!(await recordInvitationSend(tx, invitation))) {
      throw new ConnectError(`this invitation was sent ${SENDS_PER_INVITATION_PER_HOUR} times in the last hour; wait before sending it again`, Code.ResourceExhausted);
    }
    const [org, [inviter]] = await Promise.all([getOrg(tx, by.orgId), tx<{ email: string }[]>`SELECT email FROM customers WHERE id = ${by.customerId}`]);
    if (!org || !inviter) throw new ConnectError("the org or your account was deleted meanwhile", Code.NotFound);
    try {
      const nats = await deps.nats();
      await queueEmail(nats, mailKey, {
        template: "invitation",
        idempotencyKey: `invitation-${invitation.id}-${tokenHash.toString("hex").slice(0, 16)}`,
        to: invitation.email,
        notAfter: invitation.expiresAt.getTime(),
        data: { link: signInLink(deps.config.controlPlane.dashboardUrl, token), orgName: org.name, invitedBy: inviter.email, role: invitation.role, expiresDays: INVITATION_TTL_DAYS },
      });
    } catch (error) {
      deps.log.warn("cannot queue an invitation mail; nothing was changed", { org_id: by.orgId, error });
      throw new ConnectError("cannot queue the invitation mail right now; nothing was changed, retry", Code.Unavailable, undefined, undefined, error);
    }
    return { invitation: invitationMessage(invitation) };
  });
}

function invitationIdOf(value: string): string {
  if (value === "") throw new FieldError("invitation_id", "required");
  if (!isUuid(value)) throw new FieldError("invitation_id", "not an invitation id (a UUID)");
  return value.toLowerCase();
}

const notFound = () => new ConnectError("no such pending invitation in this org", Code.NotFound);

function invitationMessage(invitation: Invitation): MessageInitShape<typeof OrgInvitationSchema> {
  return {
    id: invitation.id,
    orgId: invitation.orgId,
    email: invitation.email,
    role: roleToProto(invitation.role),
    status: InvitationStatus.PENDING,
    expiresAt: invitation.expiresAt.toISOString(),
  };
}
