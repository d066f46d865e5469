// Secrets never reach a log line or a terminal: passwords inside URLs and secret variables are masked.

import { type VariableName, variables } from "./variables.ts";

export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^/:@\s]*:)[^@/\s]+@/g, "$1***@");
}

export function redactValue(key: VariableName, text: string): string {
  if (text === "") return text;
  if (key === "PUG_JWT_SECRET_KEY") return "***";
  return variables[key].secret ? redactUrl(text) : text;
}
