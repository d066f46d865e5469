// Email addresses as the dashboard's accounts know them: trimmed and lower-cased (one account per address,
// however it is typed), and checked for a shape a mail server could deliver to. Not a full RFC 5322 parser: quoted
// local parts and IP-literal domains are refused; `dev@localhost` is fine.

import { FieldError } from "../field-error.ts";

const FORBIDDEN = /[\s<>()[\]\\,;:"]/;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Why a normalised address cannot be an account's address, or undefined when it can. */
export function emailProblem(email: string): string | undefined {
  if (email === "") return "required";
  if (email.length > 320) return "must be at most 320 characters";
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1) return "must be an address like name@example.com";
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.includes("@")) return "must contain exactly one @";
  if (FORBIDDEN.test(email) || /\p{Cc}/u.test(email)) return "must not contain spaces, quotes or any of <>()[]\\,;:";
  if (local.length > 64) return "the part before the @ must be at most 64 characters";
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return "the part before the @ must not start or end with a dot, nor hold two in a row";
  if (!domain.split(".").every((label) => LABEL.test(label) && label.length <= 63)) return `'${domain}' is not a valid mail domain`;
  return undefined;
}

/** The normalised address in `value`; throws a FieldError on `field` saying what is wrong with it. */
export function normalizedEmail(value: string, field: string): string {
  const email = normaliseEmail(value);
  const problem = emailProblem(email);
  if (problem) throw new FieldError(field, problem);
  return email;
}

/** The name of the org made for a new account: `ada's org` for ada@example.com. */
export function defaultOrgName(email: string): string {
  const local = email.slice(0, email.lastIndexOf("@"));
  return `${local.slice(0, 190)}'s org`;
}
