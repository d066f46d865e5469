// Why sending a mail failed, and whether trying again can help. RFC 5321: a 5yz reply is a permanent refusal (the
// same mail would be refused again: dead-letter it), a 4yz reply a transient one (retry later). 503 (bad sequence
// of commands) is the session's fault, not the mail's. A failure without a reply (connection refused, a timeout,
// DNS, TLS) is the way to the server, and transient. Refused credentials are the operator's to fix, whatever
// their code: retried like an outage, so that no mail is dead-lettered for a configuration mistake before its
// retries run out. Anything not recognised is retried too: a retry costs little, a wrongly dropped mail a lot.

/** What nodemailer puts on the errors it hands back (the fields we read). */
export interface SendError {
  message?: string;
  code?: string;
  responseCode?: number;
  /** The server's reply line, e.g. `550 5.1.1 No such mailbox`. */
  response?: string;
}

export type SendFailure = { kind: "transient" | "permanent"; reason: string };

/** Refusals of the mail itself that never carry a reply: a recipient or sender that is not an address. */
const PERMANENT_WITHOUT_REPLY = new Set(["EENVELOPE", "EMAXRECIPIENTS"]);
const CREDENTIALS = new Set(["EAUTH", "ENOAUTH"]);

export function classifySendFailure(error: SendError): SendFailure {
  const reply = error.response?.replace(/\s+/g, " ").trim();
  const reason = reply ? `smtp ${reply}` : `${error.code ?? "error"}: ${error.message ?? "unknown failure"}`;
  if (error.code && CREDENTIALS.has(error.code)) return { kind: "transient", reason };
  const code = error.responseCode ?? replyCode(reply);
  if (code !== undefined) return { kind: code >= 500 && code < 600 && code !== 503 ? "permanent" : "transient", reason };
  if (error.code && PERMANENT_WITHOUT_REPLY.has(error.code)) return { kind: "permanent", reason };
  return { kind: "transient", reason };
}

function replyCode(reply: string | undefined): number | undefined {
  const match = reply?.match(/^([2-5]\d\d)\b/);
  return match ? Number(match[1]) : undefined;
}
