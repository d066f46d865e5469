// Each configured OIDC provider answers its discovery document and publishes signing keys: a broken provider
// configuration shows here rather than at someone's first sign-in. A provider whose discovery does not list S256
// among its PKCE methods is warned about: the dashboard always sends a challenge, but only a provider that
// requires PKCE for the client stops a stolen code from being redeemed without the verifier.

import type { App } from "../app/app.ts";
import { createOidcClient } from "../infra/oidc.ts";
import { type CheckResult, errorText, fail, ms, ok, timed, warn } from "./check.ts";

export async function oidcChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const client = createOidcClient({ timeoutMs: timeoutMs * 2 });
  return await Promise.all(
    app.config.controlPlane.oidcProviders.map(async (provider): Promise<CheckResult> => {
      const name = `oidc provider ${provider.id}`;
      try {
        const { value: keys, ms: latency } = await timed(() => client.signingKeys(provider));
        const figure = `${keys.length} signing key${keys.length === 1 ? "" : "s"}, ${ms(latency)}`;
        const methods = await client.codeChallengeMethods(provider);
        if (!methods.includes("S256")) {
          return warn(
            name,
            `its discovery document does not list S256 in code_challenge_methods_supported (lists: ${methods.length === 0 ? "none" : methods.join(", ")})`,
            `make the provider require PKCE with S256 for client '${provider.clientId}' (Keycloak: client > Advanced > Proof Key for Code Exchange Code Challenge Method = S256)`,
            figure,
          );
        }
        return ok(name, figure);
      } catch (error) {
        return fail(name, errorText(error), `check issuer_url ${provider.issuerUrl} in PUG_OIDC_PROVIDERS and that this host can reach it`);
      }
    }),
  );
}
