// Secrets never reach a log line or a terminal: passwords inside URLs and secret variables are masked.

import { type VariableName, variables } from "./variables.ts";

export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^/:@\s]*:)[^@/\s]+@/g, "$1***@");
}

export function redactValue(key: VariableName, text: string): string {
  if (text === "") return text;
  if (key === "PUG_JWT_SECRET_KEY" || key === "PUG_JWT_SECRET_KEY_PREVIOUS") return "***";
  if (key === "PUG_OIDC_PROVIDERS") return redactOidcProviders(text);
  return variables[key].secret ? redactUrl(text) : text;
}

/** Fields of a provider that are no secret; every other one (client_secret, and any a later version or a typo adds) is masked. */
const PUBLIC_PROVIDER_FIELDS = new Set(["id", "display_name", "issuer_url", "client_id", "scopes", "trust_email"]);

/** The providers are worth seeing, but only their known public fields. Text that is no JSON array of objects is masked whole. */
function redactOidcProviders(text: string): string {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return "***";
  }
  if (!Array.isArray(list)) return "***";
  if (!list.every((p: unknown) => p !== null && typeof p === "object" && !Array.isArray(p))) return "***";
  return JSON.stringify(list.map((p: object) => Object.fromEntries(Object.entries(p).map(([field, value]) => [field, PUBLIC_PROVIDER_FIELDS.has(field) ? value : "***"]))));
}
