// Sign-in secrets past their use. Magic links and refresh tokens go once expired (a refresh token also a day
// after its family was revoked: long enough for reuse detection to have answered a copied token); invitations
// stay 30 days after expiring, so an admin still sees that one lapsed, unless accepted (kept: the record of who
// joined how).

import type { Sql } from "../infra/postgres.ts";

export interface ExpiredTokens {
  magicLinks: number;
  refreshTokens: number;
  invitations: number;
}

export async function deleteExpiredTokens(sql: Sql): Promise<ExpiredTokens> {
  return await sql.begin(async (tx) => {
    const magicLinks = await tx`DELETE FROM magic_links WHERE expires_at < now()`;
    const refreshTokens = await tx`
      DELETE FROM refresh_tokens WHERE expires_at < now() OR revoked_at < now() - interval '1 day'`;
    const invitations = await tx`
      DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at < now() - interval '30 days'`;
    return { magicLinks: magicLinks.count, refreshTokens: refreshTokens.count, invitations: invitations.count };
  });
}
