// A checkout of Pug to measure: its own src/main.ts run by Bun from its own directory (so its own node_modules),
// through a two-line launcher script handed to test/support/pug-process.ts as the "binary" to run.

import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expectSuccess, type PugResult, type RunningPug, runPug, startPug } from "../../../test/support/pug-process.ts";

export interface PugCheckout {
  /** The column heading: "before", "after", or "this checkout". */
  label: string;
  dir: string;
  /** Runs `bun <dir>/src/main.ts "$@"` in place (exec keeps the pid, and the parent-death signal). */
  launcher: string;
}

/** `bunArgs` go before the script, e.g. `--cpu-prof-md --cpu-prof-dir=DIR` for a CPU profile of every pug process. */
export function checkoutAt(dir: string, label: string, bunArgs: string[] = []): PugCheckout {
  const abs = resolve(dir);
  if (!existsSync(`${abs}/src/main.ts`)) throw new Error(`${abs} is not a Pug checkout: it has no src/main.ts`);
  if (!existsSync(`${abs}/node_modules`)) throw new Error(`${abs} has no node_modules: run \`bun install --frozen-lockfile\` there first`);
  const launcher = join(tmpdir(), `pug-bench-${process.pid}-${label.replace(/\W/g, "_")}.sh`);
  const quoted = [...bunArgs, `${abs}/src/main.ts`].map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
  writeFileSync(launcher, `#!/bin/sh\nexec bun ${quoted} "$@"\n`);
  chmodSync(launcher, 0o755);
  return { label, dir: abs, launcher };
}

/**
 * The `Environment=` settings the worker unit of the checkout in `dir` (systemd/pug-worker@.service) gives every worker, so a
 * worker started here runs as that checkout ships it.
 */
export function workerUnitEnv(dir: string): Record<string, string> {
  const unit = `${dir}/systemd/pug-worker@.service`;
  if (!existsSync(unit)) return {};
  const settings = readFileSync(unit, "utf8").matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/gm);
  return Object.fromEntries([...settings].map(([, name, value]) => [name!, value!]));
}

export function removeLauncher(checkout: PugCheckout): void {
  rmSync(checkout.launcher, { force: true });
}

export const runPugOf = (checkout: PugCheckout, args: string[], env: Record<string, string | undefined>): Promise<PugResult> =>
  runPug(args, env, { binary: checkout.launcher, cwd: checkout.dir });

export const startPugOf = (checkout: PugCheckout, args: string[], env: Record<string, string | undefined>): RunningPug =>
  startPug(args, env, { binary: checkout.launcher, cwd: checkout.dir });

/** Migrates the stores with the checkout's own `pug migrate` and creates a project with its `pug project create`. */
export async function migrateWithProject(checkout: PugCheckout, env: Record<string, string>): Promise<{ projectId: string; publicKey: string }> {
  expectSuccess(await runPugOf(checkout, ["migrate"], env), `${checkout.label}: pug migrate`);
  const created = expectSuccess(await runPugOf(checkout, ["project", "create", "bench"], env), `${checkout.label}: pug project create`);
  const projectId = /project id:\s+(\S+)/.exec(created.stdout)?.[1];
  const publicKey = /public key:\s+(\S+)/.exec(created.stdout)?.[1];
  if (!projectId || !publicKey) throw new Error(`${checkout.label}: pug project create printed no project id and public key:\n${created.stdout}`);
  return { projectId, publicKey };
}
