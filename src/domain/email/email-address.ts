// An email address as people type it, made into the one form Postgres keeps (customers.email, invitations.email):
// trimmed and lower-cased, so one address is one account however it is typed. Only the shape is checked; whether
// it receives mail is learned by sending.

import { FieldError } from "../field-error.ts";

const SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizedEmail(value: string, field: string): string {
  const email = value.trim().toLowerCase();
  if (email === "") throw new FieldError(field, "required");
  if (email.length > 320) throw new FieldError(field, `at most 320 characters, got ${email.length}`);
  if (!SHAPE.test(email)) throw new FieldError(field, `'${value}' is not an email address (name@example.com)`);
  return email;
}
