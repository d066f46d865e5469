// `pug login-link`: a sign-in link handed to the operator instead of mailed, for hosts without SMTP and for the
// first admin of an empty install. A new address gets its account, org and project whatever PUG_SIGNUP says: the
// operator decides. Needs Postgres only.

import type { Sql } from "postgres";
import { generateSecretToken, secretTokenHash, signInLink } from "../../domain/auth/secret-token.ts";
import { customerByEmail, customerIdFor } from "../../store/customers.ts";
import { storeMagicLink } from "../../store/sign-in-links.ts";
import { firstProjectOf, type FirstProject, type NewAccount, signUp } from "../../store/sign-up.ts";

export interface OperatorLink {
  link: string;
  /** Set when the address had no account: everything made for it, keys included. */
  created?: NewAccount;
  /** For an existing account: its oldest project, if any. */
  existing?: FirstProject;
}

/** `email` normalised and checked, `reportingTimezone` a valid zone: the callers' job. */
export async function operatorSignInLink(sql: Sql, email: string, dashboardUrl: string, reportingTimezone: string): Promise<OperatorLink> {
  const token = generateSecretToken();
  return await sql.begin(async (tx) => {
    const known = await customerByEmail(tx, email);
    const created = known ? undefined : await signUp(tx, email, reportingTimezone);
    const customerId = known?.id ?? created?.customerId ?? (await customerIdFor(tx, email));
    await storeMagicLink(tx, email, secretTokenHash(token));
    return { link: signInLink(dashboardUrl, token), created, existing: created ? undefined : await firstProjectOf(tx, customerId) };
  });
}
