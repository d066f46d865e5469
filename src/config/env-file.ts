// Reads env files as systemd's EnvironmentFile= and shells write them: KEY=value lines, `#` comments, optional
// `export `, values optionally in single or double quotes.

export interface EnvFileError {
  line: number;
  message: string;
}

export function parseEnvFile(text: string): { values: Record<string, string>; errors: EnvFileError[] } {
  const values: Record<string, string> = {};
  const errors: EnvFileError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      errors.push({ line: index + 1, message: `expected KEY=value, got '${line.slice(0, 60)}'` });
      return;
    }
    values[match[1]!] = unquote(match[2]!);
  });
  return { values, errors };
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\(["\\$`])/g, "$1").replace(/\\n/g, "\n") : inner;
  }
  return value.replace(/\s+#.*$/, "");
}
