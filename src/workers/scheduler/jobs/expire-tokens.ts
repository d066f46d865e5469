// Deletes sign-in links, refresh tokens and invitations past their use (see src/store/expired-tokens.ts).

import { deleteExpiredTokens } from "../../../store/expired-tokens.ts";
import type { ScheduledJob } from "../scheduled-job.ts";

export const expireTokens: ScheduledJob = {
  name: "expire-tokens",
  pattern: "0 */5 * * * *",
  summary: "delete expired sign-in links, refresh tokens and lapsed invitations",
  async run(app) {
    const deleted = await deleteExpiredTokens(app.postgres());
    return `deleted ${deleted.magicLinks} magic link(s), ${deleted.refreshTokens} refresh token(s), ${deleted.invitations} invitation(s)`;
  },
};
