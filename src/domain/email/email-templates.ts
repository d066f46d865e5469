// The mail templates, embedded in the binary by `bun build --compile` through these imports: for each job kind an
// HTML body (put inside the shared layout), a plain-text body and a subject. `{{name}}` marks a value of the job.

import layout from "../../../embedded/email/layout.html" with { type: "text" };
import invitationHtml from "../../../embedded/email/invitation.html" with { type: "text" };
import invitationText from "../../../embedded/email/invitation.txt" with { type: "text" };
import magicLinkHtml from "../../../embedded/email/magic_link.html" with { type: "text" };
import magicLinkText from "../../../embedded/email/magic_link.txt" with { type: "text" };
import testHtml from "../../../embedded/email/test.html" with { type: "text" };
import testText from "../../../embedded/email/test.txt" with { type: "text" };
import type { EmailTemplate } from "./email-job.ts";

/** bun-types types every `.html` import as an HTML bundle; imported `with { type: "text" }` it is the file's text. */
const text = (imported: unknown): string => imported as string;

export interface EmailTemplateSource {
  subject: string;
  html: string;
  text: string;
}

/** The page every HTML body goes in: `{{subject}}` is a value, `{{body}}` the rendered body. */
export const EMAIL_LAYOUT = text(layout);

export const EMAIL_TEMPLATE_SOURCES: Record<EmailTemplate, EmailTemplateSource> = {
  magic_link: { subject: "Your sign-in link for Pug", html: text(magicLinkHtml), text: magicLinkText },
  invitation: { subject: "{{invitedBy}} invited you to {{orgName}} on Pug", html: text(invitationHtml), text: invitationText },
  test: { subject: "Test mail from Pug", html: text(testHtml), text: testText },
};
