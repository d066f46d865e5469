// One line of `pug doctor`: what was checked, how it went, the measured figure, and how to fix a failure.

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  figure?: string;
  message?: string;
  fix?: string;
}

export const ok = (name: string, figure?: string, message?: string): CheckResult => ({ name, status: "ok", figure, message });
export const warn = (name: string, message: string, fix?: string, figure?: string): CheckResult => ({ name, status: "warn", message, fix, figure });
export const fail = (name: string, message: string, fix: string, figure?: string): CheckResult => ({ name, status: "fail", message, fix, figure });
export const skip = (name: string, message: string): CheckResult => ({ name, status: "skip", message });

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;

export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorText(error.errors[0]);
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.slice(0, 200) || (error as { code?: string }).code || "unknown error";
}

/** `15.4` vs `15` → compares version numbers part by part. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const have = version.split(/[.-]/).map((p) => parseInt(p, 10) || 0);
  const want = minimum.split(".").map(Number);
  for (let i = 0; i < want.length; i++) {
    if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i]!;
  }
  return true;
}

export { withTimeout } from "../domain/backoff.ts";
