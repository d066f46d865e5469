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

/** The providers are worth seeing; their client secrets are masked. Text that is no JSON array is masked whole. */
function redactOidcProviders(text: string): string {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return "***";
  }
  if (!Array.isArray(list)) return "***";
  return JSON.stringify(list.map((p: unknown) => (p !== null && typeof p === "object" && "client_secret" in p ? { ...p, client_secret: "***" } : p)));
}
