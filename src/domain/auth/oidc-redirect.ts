// Where a provider may send the browser back after an OIDC sign-in: the dashboard's own /oauth/callback, on the
// configured dashboard URL or on one of the origins allowed to call the API. Anything else would let a code be
// redeemed for a page that is not ours.

import { FieldError } from "../field-error.ts";

export const OIDC_CALLBACK_PATH = "/oauth/callback";

/** Throws a FieldError on redirect_uri unless it is one of the dashboard's callbacks. */
export function checkRedirectUri(redirectUri: string, dashboardUrl: string, corsOrigins: readonly string[]): void {
  const allowed = new Set([`${dashboardUrl.replace(/\/+$/, "")}${OIDC_CALLBACK_PATH}`, ...corsOrigins.map((origin) => `${origin.replace(/\/+$/, "")}${OIDC_CALLBACK_PATH}`)]);
  if (!allowed.has(redirectUri)) {
    throw new FieldError("redirect_uri", `must be the dashboard's ${OIDC_CALLBACK_PATH}: ${[...allowed].join(" or ")}`);
  }
}
