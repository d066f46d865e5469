// Redeeming a mailed token (CompleteMagicLink): a magic link signs its address in, creating the account at first
// sign-in when sign-up is open; an invitation makes its address a member of the inviting org. Runs inside the
// caller's transaction, so a refusal leaves the link unspent and nothing half made.

import type { TransactionSql } from "postgres";
import { timeZoneOrUtc } from "../../domain/time-zone.ts";
import { customerByEmail, customerIdFor, recordSignIn } from "../../store/customers.ts";
import { spendInvitation, spendMagicLink } from "../../store/sign-in-links.ts";
import { joinOrg, signUp } from "../../store/sign-up.ts";
import { Code, ConnectError } from "../connect-errors.ts";

const INVITE_ONLY_REFUSAL = "sign-up on this server is by invitation only: ask an admin of your team to invite you";

/**
 * The account of an address someone proved they own (a mailed link, a provider vouching for it): the existing one,
 * or a new one with its org and project when sign-up is open.
 */
export async function accountForAddress(tx: TransactionSql, email: string, timezone: string, signup: "open" | "invite_only"): Promise<string> {
  const existing = (await customerByEmail(tx, email))?.id;
  if (existing) return existing;
  if (signup === "invite_only") throw new ConnectError(INVITE_ONLY_REFUSAL, Code.PermissionDenied);
  // Undefined when a concurrent first sign-in of the same address created the account first.
  return (await signUp(tx, email, timeZoneOrUtc(timezone)))?.customerId ?? (await customerIdFor(tx, email));
}

/** The customer the token signs in; spends the token. */
export async function redeemSignInToken(tx: TransactionSql, tokenHash: Buffer, timezone: string, signup: "open" | "invite_only"): Promise<string> {
  const email = await spendMagicLink(tx, tokenHash);
  if (email !== undefined) {
    const customerId = await accountForAddress(tx, email, timezone, signup);
    await recordSignIn(tx, customerId, true);
    return customerId;
  }
  const invitation = await spendInvitation(tx, tokenHash);
  if (invitation) {
    const customerId = await customerIdFor(tx, invitation.email);
    await joinOrg(tx, invitation.orgId, customerId, invitation.role);
    await recordSignIn(tx, customerId, true);
    return customerId;
  }
  throw new ConnectError("this sign-in link is invalid, used or expired; request a new one", Code.Unauthenticated);
}
