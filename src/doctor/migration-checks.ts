import type { App } from "../app/app.ts";
import type { Store } from "../migrate/embedded.ts";
import { migrationStatus } from "../migrate/run-migrations.ts";
import { type CheckResult, errorText, fail, ok, skip, warn } from "./check.ts";

export async function migrationChecks(app: App, reachable: Record<Store, boolean>): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const store of Object.keys(reachable) as Store[]) {
    const name = `${store} migrations`;
    if (!reachable[store]) {
      results.push(skip(name, `${store} is not usable`));
      continue;
    }
    try {
      const plan = await migrationStatus(app, store);
      const applied = plan.status.filter((s) => s.state === "applied").length;
      if (plan.changed.length > 0) {
        results.push(fail(name, `checksum changed after applying: ${plan.changed.map((c) => c.name).join(", ")}`, "restore the original migration files; never edit an applied migration"));
      } else if (plan.pending.length > 0) {
        results.push(fail(name, `pending: ${plan.pending.map((m) => m.name).join(", ")}`, `run \`pug ${store} migrate\` (or \`pug migrate\`)`, `${applied} applied`));
      } else if (plan.unknown.length > 0) {
        results.push(warn(name, `applied but not shipped with this pug: ${plan.unknown.join(", ")}`, "run the pug version that migrated this store", `${applied} applied`));
      } else {
        results.push(ok(name, `${applied} applied, checksums intact`));
      }
    } catch (error) {
      results.push(fail(name, errorText(error), `run \`pug ${store} migrate\``));
    }
  }
  return results;
}
