import { emailProblem, normaliseEmail } from "../domain/email/email-address.ts";
import { FieldError } from "../domain/field-error.ts";
import { reportingTimeZone } from "../domain/time-zone.ts";
import { operatorSignInLink } from "../server/dashboard/operator-link.ts";
import { MAGIC_LINK_TTL_MINUTES } from "../store/sign-in-links.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export const loginLinkCommand: Command = {
  name: "login-link",
  summary: "print a one-time dashboard sign-in link for an address (creating its account, org and project if new)",
  usage: "pug login-link EMAIL [--timezone ZONE] [--env-file FILE]",
  async run(args, globals) {
    const { positionals, values } = parseFlags(args, { timezone: { type: "string" } }, 1);
    const email = normaliseEmail(positionals[0] ?? "");
    const problem = emailProblem(email);
    if (problem) throw new UsageError(`EMAIL: ${problem}`);
    const timezone = canonicalZone(values.timezone ?? "UTC");
    const app = appFor(globals, "cli");
    try {
      const { link, created, existing } = await operatorSignInLink(app.postgres(), email, app.config.controlPlane.dashboardUrl, timezone);
      globals.out(`sign-in link: ${link}`);
      globals.out(`expires:      in ${MAGIC_LINK_TTL_MINUTES} minutes; single use (a newer link for the address voids it)`);
      globals.out(`account:      ${email} (${created ? "created now" : "existing"})`);
      if (created) {
        globals.out(`org:          ${created.orgName} (created now, you are its admin)`);
        globals.out(`org id:       ${created.orgId}`);
        globals.out(`project:      ${created.projectName} (created now, reporting time zone ${created.reportingTimezone})`);
        globals.out(`project id:   ${created.projectId}`);
        globals.out(`public key:   ${created.publicKey}`);
        globals.out(`private key:  ${created.privateKey}   (shown once; only its SHA-256 is kept)`);
      } else if (existing) {
        globals.out(`org:          ${existing.orgName}`);
        globals.out(`org id:       ${existing.orgId}`);
        globals.out(`project:      ${existing.projectName}`);
        globals.out(`project id:   ${existing.projectId}`);
        if (existing.publicKey) globals.out(`public key:   ${existing.publicKey}`);
      } else {
        globals.out("project:      (none yet: the account is in no org with a live project)");
      }
      return 0;
    } catch (error) {
      throw new ExitError(1, `pug: could not make a sign-in link: ${(error as Error).message}`);
    } finally {
      await closeReporting(app, "store", globals);
    }
  },
};

function canonicalZone(zone: string): string {
  try {
    return reportingTimeZone(zone, "--timezone");
  } catch (error) {
    if (error instanceof FieldError) throw new UsageError(error.message);
    throw error;
  }
}
