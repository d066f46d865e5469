// Turns an EmailJob into the mail to send: subject, plain text and HTML, from the embedded templates. Every value
// put into the HTML part is HTML-escaped; links must be http(s), so a job can never carry a script into a button.

import type { EmailJob } from "./email-job.ts";
import { EMAIL_LAYOUT, EMAIL_TEMPLATE_SOURCES, type EmailTemplateSource } from "./email-templates.ts";

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** The job cannot be made into a mail (a link that is not http(s)): sending it again would not help. */
export class UnrenderableEmail extends Error {
  override name = "UnrenderableEmail";
}

export function renderEmail(job: EmailJob, sources: Record<EmailJob["template"], EmailTemplateSource> = EMAIL_TEMPLATE_SOURCES): RenderedEmail {
  const values = templateValues(job);
  const source = sources[job.template];
  // A header is one line: values with line breaks (an org's name, say) are folded into it.
  const subject = fillTemplate(source.subject, values).replace(/\s+/g, " ").trim();
  const htmlValues = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, escapeHtml(value)]));
  const body = fillTemplate(source.html, htmlValues).trimEnd();
  // The body is HTML already made from escaped values; only the subject is escaped for the layout.
  const html = fillTemplate(EMAIL_LAYOUT, { subject: escapeHtml(subject), body });
  return { subject, text: fillTemplate(source.text, values), html };
}

function templateValues(job: EmailJob): Record<string, string> {
  switch (job.template) {
    case "magic_link":
      return { link: httpLink(job.data.link), expiresMinutes: String(job.data.expiresMinutes) };
    case "invitation":
      return {
        link: httpLink(job.data.link),
        orgName: job.data.orgName,
        invitedBy: job.data.invitedBy,
        role: job.data.role,
        expiresDays: String(job.data.expiresDays),
      };
    case "test":
      return { note: job.data.note ?? "Nothing to do: this mail only checks that mail gets out." };
  }
}

function httpLink(link: string): string {
  let protocol: string;
  try {
    protocol = new URL(link).protocol;
  } catch {
    throw new UnrenderableEmail(`data.link: not a URL`);
  }
  if (protocol !== "https:" && protocol !== "http:") throw new UnrenderableEmail(`data.link: must be an http(s) URL, not ${protocol}`);
  return link;
}

/** `source` with every `{{name}}` replaced by `values[name]` as given; a name without a value is a template bug. */
export function fillTemplate(source: string, values: Record<string, string>): string {
  return source.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`email template names {{${name}}}, which has no value`);
    return value;
  });
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
