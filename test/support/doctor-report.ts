// `pug doctor --json` run as a subprocess, with its checks looked up by name.

import { runPug } from "./pug-process.ts";

export interface DoctorCheck {
  name: string;
  status: "ok" | "warn" | "fail" | "skip";
  figure?: string;
  message?: string;
  fix?: string;
}

export interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
  report: { ok: boolean; checks: DoctorCheck[] };
  /** The check of that name; throws (with the whole report) if doctor ran no such check. */
  check(name: string): DoctorCheck;
}

export async function runDoctor(env: Record<string, string | undefined>): Promise<DoctorRun> {
  const result = await runPug(["doctor", "--json"], env);
  const report = JSON.parse(result.stdout) as DoctorRun["report"];
  const check = (name: string) => {
    const found = report.checks.find((c) => c.name === name);
    if (!found) throw new Error(`no check named '${name}' in ${result.stdout}`);
    return found;
  };
  return { ...result, report, check };
}
