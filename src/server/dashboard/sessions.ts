// A signed-in session as the dashboard holds it: a 24-hour access JWT and a refresh token that starts (or
// continues) a rotating family. The family id is the session's id, carried in the JWT as `sid`.

import type { Sql, TransactionSql } from "postgres";
import { signAccessToken } from "../../domain/auth/access-token.ts";
import { generateSecretToken, secretTokenHash } from "../../domain/auth/secret-token.ts";
import { insertRefreshToken } from "../../store/refresh-tokens.ts";
import { Code, ConnectError } from "../connect-errors.ts";

export interface Session {
  token: string;
  refreshToken: string;
}

/** PUG_JWT_SECRET_KEY, or the refusal of every sign-in when it is not set. */
export function jwtSecretOrRefuse(secret: string | undefined): string {
  if (!secret) throw new ConnectError("dashboard sign-in is off on this server: PUG_JWT_SECRET_KEY is not set", Code.FailedPrecondition);
  return secret;
}

/** Issues the pair; `familyId` continues a refreshed session, otherwise a new family starts. */
export async function startSession(sql: Sql | TransactionSql, secret: string, customerId: string, familyId: string = crypto.randomUUID()): Promise<Session> {
  const refreshToken = generateSecretToken();
  await insertRefreshToken(sql, { hash: secretTokenHash(refreshToken), familyId, customerId });
  return { token: await signAccessToken(secret, customerId, { sessionId: familyId }), refreshToken };
}
