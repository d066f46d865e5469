// People of the control-plane benchmark, written straight into Postgres as test/support/dashboard-people.ts does
// (customers, their role in an org, optionally a password), and the sign-in link the server queued for one of
// them, read from the email stream as the email worker would read it.

import type { Role } from "../../../src/domain/auth/roles.ts";
import { emailSealKey, openEmailJob } from "../../../src/domain/email/email-seal.ts";
import type { Nats } from "../../../src/infra/nats.ts";
import type { Sql } from "../../../src/infra/postgres.ts";

/** Customers with these addresses, each with `role` in `orgId`; their ids, in the order of `emails`. */
export async function seedCustomers(sql: Sql, emails: string[], orgId: string, role: Role, passwordHash: string | null = null): Promise<string[]> {
  const rows = emails.map((email) => ({ email, email_verified: true, password_hash: passwordHash }));
  const ids = (await sql<{ id: string }[]>`INSERT INTO customers ${sql(rows)} RETURNING id`).map((row) => row.id);
  await sql`INSERT INTO org_members ${sql(ids.map((customer_id) => ({ org_id: orgId, customer_id, role })))}`;
  return ids;
}

/** The token of the sign-in link last queued on the email stream (sealed with the server's `jwtSecret`), which must be a link for `to`. */
export async function lastMailedToken(nats: Nats, jwtSecret: string, to: string): Promise<string> {
  const message = await nats.jsm.streams.getMessage(nats.names.stream("email"), { last_by_subj: nats.names.subject("email", "send") });
  const job = message ? openEmailJob(emailSealKey(jwtSecret), message.data) : undefined;
  if (job?.template !== "magic_link" || job.to !== to) throw new Error(`the last queued mail is not a sign-in link for ${to}: ${JSON.stringify(job)}`);
  const token = new URL(job.data.link).searchParams.get("token");
  if (!token) throw new Error(`no token in the sign-in link ${job.data.link}`);
  return token;
}
