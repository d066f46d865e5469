// The name people give an org or a project: trimmed, 1–200 characters (the columns' CHECK).

import { FieldError } from "./field-error.ts";

export const DISPLAY_NAME_MAX = 200;

export function displayName(value: string, field: string): string {
  const name = value.trim();
  if (name === "") throw new FieldError(field, "required");
  if (name.length > DISPLAY_NAME_MAX) throw new FieldError(field, `at most ${DISPLAY_NAME_MAX} characters, got ${name.length}`);
  return name;
}
