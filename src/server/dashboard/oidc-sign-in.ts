// Sign-in through an OIDC provider (GetAuthConfig, CompleteOIDCSignIn). The dashboard sends the browser to the
// provider with PKCE and a nonce; this server exchanges the code, checks the id_token, and signs in the account
// bound to the provider's subject — at the first sign-in, the account of the address the provider vouches for,
// created when sign-up is open. The same session as a mailed link follows.

import { IdTokenRefused, idTokenKeyId, verifyIdToken } from "../../domain/auth/oidc-id-token.ts";
import { type OidcProvider, publicProvider } from "../../domain/auth/oidc-providers.ts";
import { checkRedirectUri } from "../../domain/auth/oidc-redirect.ts";
import { emailProblem, normaliseEmail } from "../../domain/email/email-address.ts";
import { FieldError } from "../../domain/field-error.ts";
import { timeZoneOrUtc } from "../../domain/time-zone.ts";
import { AuthProviderType, type CompleteOIDCSignInRequest } from "../../gen/public/auth/v1/auth_pb.ts";
import { createOidcClient, type OidcClient, OidcProviderError } from "../../infra/oidc.ts";
import { customerByEmail, customerIdFor, recordSignIn } from "../../store/customers.ts";
import { bindSubject, customerIdBySubject } from "../../store/oidc-identities.ts";
import { signUp } from "../../store/sign-up.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { jwtSecretOrRefuse, type Session, startSession } from "./sessions.ts";
import { INVITE_ONLY_REFUSAL } from "./sign-in-redemption.ts";

/** RFC 7636 4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function oidcSignIn(deps: DashboardDeps, client: OidcClient = createOidcClient()) {
  const { controlPlane, server } = deps.config;

  function providerOrRefuse(id: string): OidcProvider {
    const provider = controlPlane.oidcProviders.find((p) => p.id === id);
    // With none configured, OIDC sign-in is off on this server rather than this one provider unknown.
    const code = controlPlane.oidcProviders.length === 0 ? Code.FailedPrecondition : Code.NotFound;
    if (!provider) throw new ConnectError(`no OIDC provider '${id}' is configured on this server`, code);
    return provider;
  }

  /** Who the provider says signed in: its subject and the address it vouches for (normalised). */
  async function identityFrom(provider: OidcProvider, request: CompleteOIDCSignInRequest): Promise<{ subject: string; email: string }> {
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
    return { subject: identity.subject, email };
  }

  return {
    authConfig() {
      return { providers: controlPlane.oidcProviders.map((p) => ({ ...publicProvider(p), type: AuthProviderType.OIDC })) };
    },

    async complete(request: CompleteOIDCSignInRequest): Promise<Session> {
      const secret = jwtSecretOrRefuse(server.jwtSecret);
      const provider = providerOrRefuse(request.providerId);
      if (request.code === "" || request.code.length > 4096) throw new FieldError("code", "required: the code the provider sent to /oauth/callback (at most 4096 characters)");
      if (!CODE_VERIFIER.test(request.codeVerifier)) throw new FieldError("code_verifier", "must be the PKCE verifier of this sign-in: 43 to 128 of A-Z a-z 0-9 - . _ ~");
      if (request.nonce === "" || request.nonce.length > 512) throw new FieldError("nonce", "required: the nonce sent to the provider (at most 512 characters)");
      checkRedirectUri(request.redirectUri, controlPlane.dashboardUrl, server.corsOrigins);

      const { subject, email } = await identityFrom(provider, request).catch(asConnectError);
      return await deps.sql.begin(async (tx) => {
        let customerId = await customerIdBySubject(tx, provider.id, subject);
        if (!customerId) {
          customerId = (await customerByEmail(tx, email))?.id;
          if (!customerId) {
            if (controlPlane.signup === "invite_only") throw new ConnectError(INVITE_ONLY_REFUSAL, Code.PermissionDenied);
            // Undefined when a concurrent first sign-in of the same address created the account first.
            customerId = (await signUp(tx, email, timeZoneOrUtc(request.timezone)))?.customerId ?? (await customerIdFor(tx, email));
          }
          customerId = await bindSubject(tx, provider.id, subject, customerId);
        }
        await recordSignIn(tx, customerId, true);
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
  if (error instanceof IdTokenRefused) {
    throw new ConnectError(error.message, error.reason === "unverified_email" ? Code.PermissionDenied : Code.Unauthenticated);
  }
  throw error;
}
