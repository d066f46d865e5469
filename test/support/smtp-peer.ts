// A real SMTP server for tests (the `smtp-server` package) on a spare loopback port: it keeps every mail it takes,
// decoded into subject, text and HTML, and can be told to refuse a recipient with a given reply, a few times or
// for good. Point PUG_SMTP_URL at `url`. Given `credentials`, it takes mail only after AUTH with them (plain
// text: no TLS here) and answers any other with 535.

import { SMTPServer } from "smtp-server";
import { freePort, waitFor } from "./ports.ts";

export interface ReceivedMail {
  from: string;
  to: string[];
  messageId: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpPeer {
  url: string;
  mails: ReceivedMail[];
  /** Mails received for `address`. */
  mailsTo(address: string): ReceivedMail[];
  /** Waits until `count` mails for `address` have arrived; resolves with them. */
  waitForMails(address: string, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Answers RCPT TO `address` with `code message`, `times` times (default: always), then accepts. */
  refuse(address: string, code: number, message: string, times?: number): void;
  /** How many times RCPT TO named `address`, accepted or not. */
  attempts(address: string): number;
  /** How many times a client tried to log in, with any credentials. */
  logins(): number;
  stop(): Promise<void>;
}

export async function startSmtpPeer(options: { credentials?: { user: string; pass: string } } = {}): Promise<SmtpPeer> {
  const { credentials } = options;
  let logins = 0;
  const mails: ReceivedMail[] = [];
  const refusals = new Map<string, { code: number; message: string; left: number }>();
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: !credentials,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      logins++;
      if (credentials && auth.username === credentials.user && auth.password === credentials.pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error("5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
    },
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      attempts.set(to, (attempts.get(to) ?? 0) + 1);
      const refusal = refusals.get(to);
      if (refusal && refusal.left > 0) {
        refusal.left--;
        return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), ...parseMail(raw), raw });
        callback();
      });
    },
  });
  const port = freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const mailsTo = (address: string) => mails.filter((mail) => mail.to.includes(address.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    mailsTo,
    async waitForMails(address, count = 1, timeoutMs = 20_000) {
      await waitFor(`${count} mail(s) to ${address}`, () => mailsTo(address).length >= count, timeoutMs);
      return mailsTo(address);
    },
    refuse(address, code, message, times = Number.POSITIVE_INFINITY) {
      refusals.set(address.toLowerCase(), { code, message, left: times });
    },
    attempts: (address) => attempts.get(address.toLowerCase()) ?? 0,
    logins: () => logins,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough MIME for the mails we send: headers, and the text/plain and text/html parts of a multipart body. */
function parseMail(raw: string): Pick<ReceivedMail, "messageId" | "subject" | "text" | "html"> {
  const { headers, body } = splitEntity(raw);
  const parts = multipartParts(headers, body) ?? [{ headers, body }];
  const part = (type: string) => parts.find((p) => (p.headers.get("content-type") ?? "text/plain").startsWith(type));
  const decoded = (type: string) => {
    const found = part(type);
    return found ? decodeBody(found.body, found.headers.get("content-transfer-encoding")) : "";
  };
  return { messageId: headers.get("message-id") ?? "", subject: headers.get("subject") ?? "", text: decoded("text/plain"), html: decoded("text/html") };
}

interface Entity {
  headers: Map<string, string>;
  body: string;
}

function splitEntity(text: string): Entity {
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: end === -1 ? "" : text.slice(end + 4) };
}

function multipartParts(headers: Map<string, string>, body: string): Entity[] | undefined {
  const boundary = headers.get("content-type")?.match(/boundary="?([^";]+)"?/)?.[1];
  if (!boundary) return undefined;
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((chunk) => !chunk.startsWith("--"))
    .flatMap((chunk) => {
      const entity = splitEntity(chunk.replace(/^\r\n/, ""));
      return multipartParts(entity.headers, entity.body) ?? [entity];
    });
}

function decodeBody(body: string, encoding: string | undefined): string {
  const trimmed = body.replace(/\r\n$/, "");
  switch (encoding?.toLowerCase()) {
    case "base64":
      return Buffer.from(trimmed.replace(/\s+/g, ""), "base64").toString("utf8");
    case "quoted-printable": {
      const bytes = trimmed.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, "latin1").toString("utf8");
    }
    default:
      return trimmed;
  }
}
