// public.auth.v1.AuthService: sign-in for the dashboard by mailed link or password, and the rotating sessions
// that follow. No credentials needed to call it; what it hands out is what the auth boundary checks elsewhere.
// OIDC providers come from PUG_OIDC_PROVIDERS (oidc-sign-in.ts); no demo on this server.

import type { ServiceImpl } from "@connectrpc/connect";
import { normalizedEmail } from "../../domain/email/email-address.ts";
import { emailSealKey } from "../../domain/email/email-seal.ts";
import { generateSecretToken, isSecretToken, secretTokenHash, signInLink } from "../../domain/auth/secret-token.ts";
import { FieldError } from "../../domain/field-error.ts";
import type { AuthService } from "../../gen/public/auth/v1/auth_pb.ts";
import { customerByEmail, recordSignIn } from "../../store/customers.ts";
import { revokeFamilyOf, spendRefreshToken, type SpentRefreshToken } from "../../store/refresh-tokens.ts";
import { MAGIC_LINK_TTL_MINUTES, storeMagicLink } from "../../store/sign-in-links.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import { clientIpKey } from "../request-context.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { queueEmail } from "./email-queue.ts";
import { oidcSignIn } from "./oidc-sign-in.ts";
import { passwordWork } from "./password-checks.ts";
import { jwtSecretOrRefuse, startSession } from "./sessions.ts";
import { redeemSignInToken } from "./sign-in-redemption.ts";
import { emailBucket, FAILED_PASSWORDS_PER_EMAIL, FAILED_PASSWORDS_PER_IP, MAGIC_LINKS_PER_EMAIL, MAGIC_LINKS_PER_IP, signInLimits } from "./sign-in-limits.ts";

const refreshRefusals: Record<Exclude<SpentRefreshToken["outcome"], "spent">, string> = {
  unknown: "unknown refresh token; sign in again",
  expired: "this session has expired; sign in again",
  reused: "this refresh token was already used or signed out; the session has been ended for safety; sign in again",
};

export function authService(deps: DashboardDeps): ServiceImpl<typeof AuthService> {
  const { controlPlane, server } = deps.config;
  const limits = signInLimits(deps.redis, deps.metrics, deps.log);
  const oidc = oidcSignIn(deps, limits);

  return {
    getAuthConfig() {
      return oidc.authConfig();
    },

    async completeOIDCSignIn(request, ctx) {
      return await oidc.complete(request, ctx.values.get(clientIpKey));
    },

    demoSignIn() {
      throw new ConnectError("demo sign-in is off on this server", Code.FailedPrecondition);
    },

    // Always {} for a well-formed address: whether it has an account is not to be learnt here.
    async requestMagicLink(request, ctx) {
      // The link is mailed sealed with a key derived from the same secret (src/domain/email/email-seal.ts).
      const mailKey = emailSealKey(jwtSecretOrRefuse(server.jwtSecret));
      const email = normalizedEmail(request.email, "email");
      await limits.take(limits.ipBucket("magic-link", ctx.values.get(clientIpKey)), MAGIC_LINKS_PER_IP, "too many sign-in links requested from your network");
      await limits.take(emailBucket("magic-link", email), MAGIC_LINKS_PER_EMAIL, "too many sign-in links requested for this address");
      if (controlPlane.signup === "invite_only" && !(await customerByEmail(deps.sql, email))) return {};

      const token = generateSecretToken();
      const hash = secretTokenHash(token);
      const link = signInLink(controlPlane.dashboardUrl, token);
      // Queued before the commit: if the mail cannot be queued, the older links this one would void stay usable.
      await deps.sql.begin(async (tx) => {
        await storeMagicLink(tx, email, hash);
        try {
          const nats = await deps.nats();
          // notAfter: the link's expiry; a mail held up past it (retries, a replay) is dropped, not sent dead.
          const notAfter = Date.now() + MAGIC_LINK_TTL_MINUTES * 60_000;
          await queueEmail(nats, mailKey, { template: "magic_link", idempotencyKey: `magic-link-${hash.toString("hex").slice(0, 32)}`, to: email, notAfter, data: { link, expiresMinutes: MAGIC_LINK_TTL_MINUTES } });
        } catch (error) {
          throw new ConnectError("cannot queue the sign-in mail right now (message queue unavailable); retry in a moment", Code.Unavailable, undefined, undefined, error);
        }
      });
      return {};
    },

    async completeMagicLink(request) {
      const secret = jwtSecretOrRefuse(server.jwtSecret);
      const token = request.token.trim();
      if (!isSecretToken(token)) throw new FieldError("token", "must be the 64 hex digits of a sign-in or invitation link");
      return await deps.sql.begin(async (tx) => {
        const customerId = await redeemSignInToken(tx, secretTokenHash(token), request.timezone, controlPlane.signup);
        return await startSession(tx, secret, customerId);
      });
    },

    // Counted before the slow hash, per address and per network; given back when right or when nothing was checked.
    async signInWithEmail(request, ctx) {
      const secret = jwtSecretOrRefuse(server.jwtSecret);
      const email = normalizedEmail(request.email, "email");
      if (request.password === "") throw new FieldError("password", "required");
      if (request.password.length > 1000) throw new FieldError("password", "must be at most 1000 characters");
      const attempt = await limits.admit([
        { name: emailBucket("password", email), limit: FAILED_PASSWORDS_PER_EMAIL, tooMany: "too many failed password sign-ins for this address; use a sign-in link, or wait" },
        { name: limits.ipBucket("password", ctx.values.get(clientIpKey)), limit: FAILED_PASSWORDS_PER_IP, tooMany: "too many failed password sign-ins from your network" },
      ]);
      let customer, matches;
      try {
        customer = await customerByEmail(deps.sql, email);
        matches = await passwordWork.check(request.password, customer?.passwordHash);
      } catch (error) {
        await attempt.giveBack();
        throw error;
      }
      if (!customer || !matches) throw new ConnectError("wrong email or password", Code.Unauthenticated);
      await attempt.giveBack();
      return await deps.sql.begin(async (tx) => {
        await recordSignIn(tx, customer.id, false);
        return await startSession(tx, secret, customer.id);
      });
    },

    async refreshSession(request) {
      const secret = jwtSecretOrRefuse(server.jwtSecret);
      const hash = refreshTokenHash(request.refreshToken);
      const next = await deps.sql.begin(async (tx) => {
        const spent = await spendRefreshToken(tx, hash);
        // A refusal is returned, not thrown: revoking a reused token's family must commit.
        return spent.outcome === "spent" ? await startSession(tx, secret, spent.customerId, spent.familyId) : spent.outcome;
      });
      if (typeof next === "string") throw new ConnectError(refreshRefusals[next], Code.Unauthenticated);
      return next;
    },

    // Unknown tokens are fine: signing out twice, or after the session expired, is still signed out.
    async signOut(request) {
      await revokeFamilyOf(deps.sql, refreshTokenHash(request.refreshToken));
      return {};
    },
  };
}


function refreshTokenHash(raw: string): Buffer {
  const token = raw.trim();
  if (!isSecretToken(token)) throw new FieldError("refresh_token", "must be the 64 hex digits the last sign-in or refresh returned");
  return secretTokenHash(token);
}
