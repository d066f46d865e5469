// `pug systemd install`: writes the unit files embedded in the binary, pointing ExecStart at this binary.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import migrateUnit from "../../systemd/pug-migrate.service" with { type: "text" };
import serverUnit from "../../systemd/pug-server.service" with { type: "text" };
import workerUnit from "../../systemd/pug-worker@.service" with { type: "text" };
import target from "../../systemd/pug.target" with { type: "text" };
import { type Command, parseFlags } from "./command.ts";

export const units: Record<string, string> = {
  "pug-migrate.service": migrateUnit,
  "pug-server.service": serverUnit,
  "pug-worker@.service": workerUnit,
  "pug.target": target,
};

/** The path of the running pug binary, or the conventional one when running from source. */
function thisBinary(): string {
  return process.execPath.endsWith("/bun") ? "/usr/local/bin/pug" : process.execPath;
}

export const systemdCommand: Command = {
  name: "systemd install",
  summary: "write the systemd units (pug.target, pug-migrate, pug-server, pug-worker@<role>)",
  usage: "pug systemd install [--dir /etc/systemd/system] [--exec PATH-OF-PUG]",
  async run(args, globals) {
    const { values } = parseFlags(args, {
      dir: { type: "string", default: "/etc/systemd/system" },
      exec: { type: "string" },
    });
    const dir = resolve(values.dir!);
    const exec = resolve(values.exec ?? thisBinary());
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(units)) {
      const path = join(dir, name);
      writeFileSync(path, text.replaceAll("/usr/local/bin/pug", exec));
      globals.out(`wrote ${path}`);
    }
    globals.out("next: useradd --system --home-dir /var/lib/pug --shell /usr/sbin/nologin pug");
    globals.out("      put the settings in /etc/pug/pug.env (chmod 640, group pug), then run `pug doctor`");
    globals.out("      systemctl daemon-reload && systemctl enable --now pug.target");
    return 0;
  },
};
