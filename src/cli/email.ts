// `pug email preview <template>`: a mail as the email worker would send it, with made-up data, on stdout. Needs
// no configuration and no running service.
// `pug email replay-dlq [--dry-run]`: dead-lettered mail back onto the email stream (needs only NATS).

import { EMAIL_TEMPLATES, type EmailTemplate } from "../domain/email/email-job.ts";
import { SAMPLE_RECIPIENT, sampleEmailJob } from "../domain/email/email-samples.ts";
import { renderEmail } from "../domain/email/render.ts";
import { replayEmailDeadLetters } from "../workers/email/email-dlq-replay.ts";
import { appFor, closeReporting, ExitError } from "./app-context.ts";
import { type Command, parseFlags, UsageError } from "./command.ts";

export const emailPreviewCommand: Command = {
  name: "email preview",
  summary: `print a mail template rendered with sample data (${EMAIL_TEMPLATES.join(", ")})`,
  usage: `pug email preview <${EMAIL_TEMPLATES.join("|")}> [--to ADDR]`,
  async run(args, globals) {
    const { values, positionals } = parseFlags(args, { to: { type: "string" } }, 1);
    const template = positionals[0];
    if (!template) throw new UsageError(`which template? one of ${EMAIL_TEMPLATES.join(", ")}`);
    if (!EMAIL_TEMPLATES.includes(template as EmailTemplate)) throw new UsageError(`unknown template '${template}' (templates: ${EMAIL_TEMPLATES.join(", ")})`);
    const to = values.to ?? SAMPLE_RECIPIENT;
    const mail = renderEmail(sampleEmailJob(template as EmailTemplate, to));
    globals.out([`To: ${to}`, `Subject: ${mail.subject}`, "", "--- text ---", mail.text.trimEnd(), "", "--- html ---", mail.html.trimEnd()].join("\n"));
    return 0;
  },
};

export const emailReplayDlqCommand: Command = {
  name: "email replay-dlq",
  summary: "queue dead-lettered mail (email_dlq) for the email worker again; a mail already sent is not sent twice",
  usage: "pug email replay-dlq [--dry-run] [--env-file FILE]",
  async run(args, globals) {
    const { values } = parseFlags(args, { "dry-run": { type: "boolean" } });
    const dryRun = values["dry-run"] === true;
    const app = appFor(globals, "cli");
    try {
      const letters = await replayEmailDeadLetters(await app.nats(), { dryRun });
      for (const letter of letters) globals.out(`  #${letter.seq}  ${letter.reason}  failed at ${letter.failedAt}: ${letter.detail}`);
      globals.out(`${dryRun ? "would replay" : "replayed"} ${letters.length} mail job${letters.length === 1 ? "" : "s"} from email_dlq onto the email stream`);
      return 0;
    } catch (error) {
      throw new ExitError(1, `pug: could not replay dead-lettered mail: ${(error as Error).message}`);
    } finally {
      await closeReporting(app, "store", globals);
    }
  },
};
