// The one config loader: embedded defaults ← env file ← process environment, validated all at once. Every bad
// variable is reported in the same go, one line each, with what is wrong and an example of a good value.

import { existsSync, readFileSync } from "node:fs";
import * as v from "valibot";
import embeddedDefaults from "../../embedded/defaults.env" with { type: "text" };
import { type Config, toConfig } from "./config.ts";
import { parseEnvFile } from "./env-file.ts";
import { type RawConfig, type VariableName, variables } from "./variables.ts";

export const SYSTEM_ENV_FILE = "/etc/pug/pug.env";

export interface LoadOptions {
  /** `--env-file`: must exist. */
  envFile?: string;
  env?: Record<string, string | undefined>;
  /** Replaces the embedded defaults (tests). */
  defaults?: string;
  systemEnvFile?: string;
}

export type Source = "default" | "environment" | `file ${string}`;

export interface LoadedConfig {
  config: Config;
  /** The text each variable had, and where it came from (for `pug config`). */
  values: Record<VariableName, { text: string; source: Source }>;
  envFile: string | undefined;
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

const names = Object.keys(variables) as VariableName[];
const knownExtra = new Set(["PUG_ENV_FILE"]);

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const warnings: string[] = [];
  const values = {} as LoadedConfig["values"];

  const defaults = parseEnvFile(options.defaults ?? embeddedDefaults);
  for (const key of names) values[key] = { text: defaults.values[key] ?? "", source: "default" };

  const envFile = chooseEnvFile(options, env, problems);
  if (envFile) {
    const parsed = parseEnvFile(readFileSync(envFile, "utf8"));
    for (const error of parsed.errors) problems.push(`${envFile}:${error.line}: ${error.message}`);
    for (const [key, text] of Object.entries(parsed.values)) {
      if (key in variables) values[key as VariableName] = { text, source: `file ${envFile}` };
      else warnings.push(`${envFile}: unknown variable ${key}${suggest(key)}; it is ignored`);
    }
  }
  for (const [key, text] of Object.entries(env)) {
    if (text === undefined) continue;
    if (key in variables) values[key as VariableName] = { text, source: "environment" };
    else if (key.startsWith("PUG_") && !knownExtra.has(key) && !key.startsWith("PUG_TEST_") && !key.startsWith("PUG_DEV_")) {
      warnings.push(`environment: unknown variable ${key}${suggest(key)}; it is ignored`);
    }
  }

  const schema = v.object(Object.fromEntries(names.map((key) => [key, variables[key].schema])) as { [K in VariableName]: (typeof variables)[K]["schema"] });
  const input = Object.fromEntries(names.map((key) => [key, values[key].text]));
  const result = v.safeParse(schema, input, { abortEarly: false, abortPipeEarly: true });
  if (!result.success) {
    for (const issue of result.issues) {
      const key = issue.path?.[0]?.key as VariableName | undefined;
      if (!key) {
        problems.push(issue.message);
        continue;
      }
      problems.push(describeProblem(key, values[key].text, values[key].source, issue.message));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: toConfig(result.output as RawConfig), values, envFile, warnings };
}

function chooseEnvFile(options: LoadOptions, env: Record<string, string | undefined>, problems: string[]): string | undefined {
  const explicit = options.envFile ?? (env.PUG_ENV_FILE || undefined);
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    problems.push(`${options.envFile ? "--env-file" : "PUG_ENV_FILE"}: no such file '${explicit}'`);
    return undefined;
  }
  const system = options.systemEnvFile ?? SYSTEM_ENV_FILE;
  return existsSync(system) ? system : undefined;
}

function describeProblem(key: VariableName, text: string, source: Source, message: string): string {
  const spec = variables[key];
  const got = text === "" ? "it is empty" : spec.secret ? `got a value of ${text.length} characters` : `got '${text}'`;
  return `${key}: ${message} (${got}, from ${source}); example: ${key}=${spec.example}`;
}

function suggest(key: string): string {
  const close = names.find((known) => distance(known, key) <= 2);
  return close ? ` (did you mean ${close}?)` : "";
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
