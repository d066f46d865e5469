// Sign-in secrets past their use, and ledgers past their interest. Magic links and refresh tokens go once expired
// (a refresh token also a day after its family was revoked: long enough for reuse detection to have answered a
// copied token); invitations stay 30 days after expiring, so an admin still sees that one lapsed, unless accepted
// (kept: the record of who joined how). Scheduler runs and mail deliveries go after 30 days, except each job's
// latest successful run (the usage rollup's tells whether it has ever run). Invitation sends go after a day (the
// budgets look back an hour).

import type { Sql } from "../infra/postgres.ts";

export interface ExpiredTokens {
  magicLinks: number;
  refreshTokens: number;
  invitations: number;
  schedulerRuns: number;
  emailDeliveries: number;
  invitationSends: number;
}

export async function deleteExpiredTokens(sql: Sql): Promise<ExpiredTokens> {
  return await sql.begin(async (tx) => {
    const magicLinks = await tx`DELETE FROM magic_links WHERE expires_at < now()`;
    const refreshTokens = await tx`
      DELETE FROM refresh_tokens WHERE expires_at < now() OR revoked_at < now() - interval '1 day'`;
    const invitations = await tx`
      DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at < now() - interval '30 days'`;
    const schedulerRuns = await tx`
      DELETE FROM scheduler_runs r WHERE r.started_at < now() - interval '30 days'
        AND (r.job, r.slot) NOT IN (SELECT DISTINCT ON (job) job, slot FROM scheduler_runs WHERE outcome = 'ok' ORDER BY job, finished_at DESC)`;
    const emailDeliveries = await tx`DELETE FROM email_deliveries WHERE sent_at < now() - interval '30 days'`;
    const invitationSends = await tx`DELETE FROM invitation_sends WHERE sent_at < now() - interval '1 day'`;
    return {
      magicLinks: magicLinks.count,
      refreshTokens: refreshTokens.count,
      invitations: invitations.count,
      schedulerRuns: schedulerRuns.count,
      emailDeliveries: emailDeliveries.count,
      invitationSends: invitationSends.count,
    };
  });
}
