// Each configured OIDC provider answers its discovery document and publishes signing keys: a broken provider
// configuration shows here rather than at someone's first sign-in.

import type { App } from "../app/app.ts";
import { createOidcClient } from "../infra/oidc.ts";
import { type CheckResult, errorText, fail, ms, ok, timed } from "./check.ts";

export async function oidcChecks(app: App, timeoutMs: number): Promise<CheckResult[]> {
  const client = createOidcClient({ timeoutMs: timeoutMs * 2 });
  return await Promise.all(
    app.config.controlPlane.oidcProviders.map(async (provider): Promise<CheckResult> => {
      const name = `oidc provider ${provider.id}`;
      try {
        const { value: keys, ms: latency } = await timed(() => client.signingKeys(provider));
        return ok(name, `${keys.length} signing key${keys.length === 1 ? "" : "s"}, ${ms(latency)}`);
      } catch (error) {
        return fail(name, errorText(error), `check issuer_url ${provider.issuerUrl} in PUG_OIDC_PROVIDERS and that this host can reach it`);
      }
    }),
  );
}
