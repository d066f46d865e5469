// Deletes sign-in links, refresh tokens and invitations past their use, scheduler runs and mail deliveries older
// than 30 days, and invitation sends older than a day (see src/store/expired-tokens.ts).

import { deleteExpiredTokens } from "../../../store/expired-tokens.ts";
import type { ScheduledJob } from "../scheduled-job.ts";

export const expireTokens: ScheduledJob = {
  name: "expire-tokens",
  pattern: "0 */5 * * * *",
  summary: "delete expired sign-in links, refresh tokens, lapsed invitations, month-old run and mail records and day-old invitation sends",
  async run(app) {
    const deleted = await deleteExpiredTokens(app.postgres());
    return (
      `deleted ${deleted.magicLinks} magic link(s), ${deleted.refreshTokens} refresh token(s), ${deleted.invitations} invitation(s), ` +
      `${deleted.schedulerRuns} scheduler run(s), ${deleted.emailDeliveries} mail delivery record(s), ` +
      `${deleted.invitationSends} invitation send(s)`
    );
  },
};
