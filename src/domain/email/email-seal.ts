// Mail jobs are sealed before they are queued: a job carries a live sign-in or invitation link, and the `email`
// stream keeps it up to 7 days (the `email_dlq` stream 30), so anyone who can read NATS could otherwise sign in.
// Sealed = AES-256-GCM over the job's JSON with a key derived (HKDF-SHA256, info "pug email jobs v1") from
// PUG_JWT_SECRET_KEY, which the server and the email worker share; only the worker opens a job. During a key change
// the worker also holds the key of PUG_JWT_SECRET_KEY_PREVIOUS: a job opens with the first key that opens it, so
// mail queued before the change is still sent. Jobs are always sealed with the current key.
//
// Layout: version byte (1) | 12-byte random nonce | ciphertext | 16-byte GCM tag. The version byte is also the
// additional authenticated data, so it cannot be changed without the job failing to open.

import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject, randomBytes } from "node:crypto";
import { decodeEmailJob, type EmailJob, encodeEmailJob } from "./email-job.ts";

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const INFO = "pug email jobs v1";

/** The key that seals and opens mail jobs, derived from PUG_JWT_SECRET_KEY. */
export type EmailSealKey = KeyObject;

export function emailSealKey(jwtSecret: string): EmailSealKey {
  return createSecretKey(Buffer.from(hkdfSync("sha256", jwtSecret, new Uint8Array(0), INFO, 32)));
}

/** A job that is not sealed, sealed under another version, or does not open with this key. */
export class UnopenableEmailJob extends Error {}

export function sealEmailBody(key: EmailSealKey, plain: Uint8Array): Uint8Array {
  const version = Uint8Array.of(VERSION);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(version);
  const sealed = Buffer.concat([version, nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
}

/** The plain bytes of a sealed body, opened with the first of `keys` that opens it (the current key first);
 * throws UnopenableEmailJob saying why not. */
export function openEmailBody(keys: EmailSealKey | readonly EmailSealKey[], sealed: Uint8Array): Uint8Array {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES) throw new UnopenableEmailJob(`email job: not sealed (${sealed.length} bytes, too short)`);
  if (sealed[0] !== VERSION) throw new UnopenableEmailJob(`email job: not sealed, or sealed by another version (first byte ${sealed[0]}, expected ${VERSION})`);
  const body = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const ring = Array.isArray(keys) ? (keys as readonly EmailSealKey[]) : [keys as EmailSealKey];
  for (const key of ring) {
    const plain = openWith(key, body);
    if (plain) return plain;
  }
  throw new UnopenableEmailJob(
    ring.length > 1 ? "email job: does not open: sealed with neither PUG_JWT_SECRET_KEY nor PUG_JWT_SECRET_KEY_PREVIOUS, or altered" : "email job: does not open: sealed with another PUG_JWT_SECRET_KEY, or altered",
  );
}

/** The plain bytes of a version-1 body if `key` opens it (GCM authenticates: another key or an altered byte fails). */
function openWith(key: EmailSealKey, body: Buffer): Uint8Array | undefined {
  const decipher = createDecipheriv("aes-256-gcm", key, body.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(body.subarray(0, 1));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(1 + NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function sealEmailJob(key: EmailSealKey, job: EmailJob): Uint8Array {
  return sealEmailBody(key, encodeEmailJob(job));
}

/** The job in a sealed message; throws UnopenableEmailJob, or decodeEmailJob's error for a sealed non-job. */
export function openEmailJob(keys: EmailSealKey | readonly EmailSealKey[], sealed: Uint8Array): EmailJob {
  return decodeEmailJob(openEmailBody(keys, sealed));
}
