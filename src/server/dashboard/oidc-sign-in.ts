// Sign-in through an OIDC provider (GetAuthConfig, CompleteOIDCSignIn). The dashboard sends the browser to the
// provider with PKCE and a nonce; this server exchanges the code, checks the id_token, and signs in the account
// bound to the issuer's subject. At a subject's first sign-in it is bound to the account of the address the
// provider vouches for (email_verified exactly true, or the operator's trust_email), created when sign-up is
// open; an unvouched address binds and creates nothing. The same session as a mailed link follows. Each
// exchange costs outbound requests carrying the client secret: they are limited per client network and capped
// in number at once, so a flood cannot get the client throttled at the provider.

import type { TransactionSql } from "postgres";
import { IdTokenRefused, idTokenKeyId, verifyIdToken } from "../../domain/auth/oidc-id-token.ts";
import { type OidcProvider, publicProvider } from "../../domain/auth/oidc-providers.ts";
import { checkRedirectUri } from "../../domain/auth/oidc-redirect.ts";
import { emailProblem, normaliseEmail } from "../../domain/email/email-address.ts";
import { FieldError } from "../../domain/field-error.ts";
import { AuthProviderType, type CompleteOIDCSignInRequest } from "../../gen/public/auth/v1/auth_pb.ts";
import { createOidcClient, type OidcClient, OidcProviderError } from "../../infra/oidc.ts";
import { recordSignInVouchedFor } from "../../store/customers.ts";
import { bindSubject, customerIdBySubject } from "../../store/oidc-identities.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import { concurrencyCap } from "./concurrency-cap.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { jwtSecretOrRefuse, type Session, startSession } from "./sessions.ts";
import type { SignInLimits } from "./sign-in-limits.ts";
import { accountForAddress } from "./sign-in-redemption.ts";

/** RFC 7636 4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** Exchanges per client network in a sign-in limits window (15 minutes). */
export const OIDC_EXCHANGES_PER_IP = 30;
/** Exchanges under way at once in this process. */
export const CONCURRENT_OIDC_EXCHANGES = 4;

interface Identity {
  subject: string;
  /** Normalised. */
  email: string;
  /** The provider vouches for the address: email_verified exactly true, or trust_email configured. */
  vouched: boolean;
}

export function oidcSignIn(deps: DashboardDeps, limits: SignInLimits, client: OidcClient = createOidcClient()) {
  const { controlPlane, server } = deps.config;
  const exchanges = concurrencyCap(CONCURRENT_OIDC_EXCHANGES);

  function providerOrRefuse(id: string): OidcProvider {
    const provider = controlPlane.oidcProviders.find((p) => p.id === id);
    // With none configured, OIDC sign-in is off on this server rather than this one provider unknown.
    const code = controlPlane.oidcProviders.length === 0 ? Code.FailedPrecondition : Code.NotFound;
    if (!provider) throw new ConnectError(`no OIDC provider '${id}' is configured on this server`, code);
    return provider;
  }

  /** Who the provider says signed in: its subject and address, and whether it vouches for the address. */
  async function identityFrom(provider: OidcProvider, request: CompleteOIDCSignInRequest): Promise<Identity> {
    const idToken = await client.exchangeCode(provider, { code: request.code, codeVerifier: request.codeVerifier, redirectUri: request.redirectUri });
    const expect = { issuer: provider.issuerUrl, clientId: provider.clientId, nonce: request.nonce, now: Math.floor(Date.now() / 1000) };
    let keys = await client.signingKeys(provider);
    const kid = idTokenKeyId(idToken);
    // A key id not seen yet: the provider has rotated its keys since they were fetched.
    if (kid !== undefined && !keys.some((key) => key.kid === kid)) keys = await client.signingKeys(provider, true);
    const identity = await verifyIdToken(idToken, keys, expect);
    const email = normaliseEmail(identity.email);
    const problem = emailProblem(email);
    if (problem) throw new ConnectError(`identity provider '${provider.id}' vouches for '${identity.email}', which cannot be an account's address: ${problem}`, Code.FailedPrecondition);
    return { subject: identity.subject, email, vouched: identity.emailVerified || provider.trustEmail };
  }

  /** The account of a subject not bound yet: by the vouched-for address, or a new one when sign-up is open. */
  async function accountToBind(tx: TransactionSql, provider: OidcProvider, identity: Identity, timezone: string): Promise<string> {
    if (!identity.vouched) {
      throw new ConnectError(
        `identity provider '${provider.id}' does not vouch for the address ${identity.email} (its id_token's email_verified is not true), so it cannot sign up or be linked to an account; ` +
          "an operator whose provider only hands out addresses it owns can set trust_email on it",
        Code.PermissionDenied,
      );
    }
    return await accountForAddress(tx, identity.email, timezone, controlPlane.signup);
  }

  return {
    authConfig() {
      return { providers: controlPlane.oidcProviders.map((p) => ({ ...publicProvider(p), type: AuthProviderType.OIDC })) };
    },

    async complete(request: CompleteOIDCSignInRequest, clientIp: string): Promise<Session> {
      const secret = jwtSecretOrRefuse(server.jwtSecret);
      const provider = providerOrRefuse(request.providerId);
      if (request.code === "" || request.code.length > 4096) throw new FieldError("code", "required: the code the provider sent to /oauth/callback (at most 4096 characters)");
      if (!CODE_VERIFIER.test(request.codeVerifier)) throw new FieldError("code_verifier", "must be the PKCE verifier of this sign-in: 43 to 128 of A-Z a-z 0-9 - . _ ~");
      if (request.nonce === "" || request.nonce.length > 512) throw new FieldError("nonce", "required: the nonce sent to the provider (at most 512 characters)");
      checkRedirectUri(request.redirectUri, controlPlane.dashboardUrl, server.corsOrigins);

      await limits.take(limits.ipBucket("oidc", clientIp), OIDC_EXCHANGES_PER_IP, "too many sign-ins through an identity provider from your network");
      const identity = await exchanges("too many sign-ins through an identity provider at once", () => identityFrom(provider, request)).catch(asConnectError);
      const who = { issuer: provider.issuerUrl, subject: identity.subject, providerId: provider.id };
      return await deps.sql.begin(async (tx) => {
        let customerId = await customerIdBySubject(tx, who);
        if (!customerId) customerId = await bindSubject(tx, who, await accountToBind(tx, provider, identity, request.timezone));
        await recordSignInVouchedFor(tx, customerId, identity.vouched ? identity.email : undefined);
        return await startSession(tx, secret, customerId);
      });
    },
  };
}

/** What the provider or its token did, as the caller should see it; anything else is not ours to judge. */
function asConnectError(error: unknown): never {
  if (error instanceof OidcProviderError) {
    const code = { refused: Code.Unauthenticated, unreachable: Code.Unavailable, misconfigured: Code.FailedPrecondition }[error.kind];
    throw new ConnectError(error.kind === "unreachable" ? `${error.message}; retry in a moment` : error.message, code);
  }
  if (error instanceof IdTokenRefused) throw new ConnectError(error.message, Code.Unauthenticated);
  throw error;
}
