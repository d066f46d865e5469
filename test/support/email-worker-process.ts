// `pug worker email` as a process for tests, on migrated scratch stores: starting it, knowing when it pulls, what
// its consumer still holds, and what it dead-lettered.

import type { StoredMsg } from "@nats-io/jetstream";
import type { EmailJob } from "../../src/domain/email/email-job.ts";
import { connectNats, type Nats } from "../../src/infra/nats.ts";
import { createPostgres, type Sql } from "../../src/infra/postgres.ts";
import { freePort, waitFor } from "./ports.ts";
import { expectSuccess, type RunningPug, runPug, startPug } from "./pug-process.ts";
import { type ScratchEnv, scratchEnv } from "./scratch.ts";

export interface EmailWorkerProcess extends RunningPug {
  /** Its /metrics (the admin listener: the health port + 2, see worker-roles.ts). */
  metricsUrl: string;
}

export interface EmailDeadLetter {
  data: Uint8Array;
  reason: string | undefined;
  detail: string | undefined;
  sourceStream: string | undefined;
}

/** A sign-in mail to `to` under idempotency key `key`, its link carrying `token`. */
export const magicLinkJob = (to: string, key: string, token = key): EmailJob => ({
  template: "magic_link",
  idempotencyKey: key,
  to,
  data: { link: `https://dash.pug.test/magic-link?token=${token}`, expiresMinutes: 15 },
});

export type EmailWorkerHarness = ReturnType<typeof emailWorkerHarness>;

export interface EmailScratch {
  env: ScratchEnv;
  nats: Nats;
  sql: Sql;
  harness: EmailWorkerHarness;
  close(): Promise<void>;
}

/** Scratch stores named `name`, migrated, with a NATS and a Postgres client on them. */
export async function emailScratch(name: string): Promise<EmailScratch> {
  const env = await scratchEnv(name);
  expectSuccess(await runPug(["migrate"], env), "pug migrate");
  const nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
  const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 2 });
  return {
    env,
    nats,
    sql,
    harness: emailWorkerHarness(env, nats),
    async close() {
      await nats.close();
      await sql.end();
    },
  };
}

export function emailWorkerHarness(env: Record<string, string>, nats: Nats) {
  const consumer = () => nats.jsm.consumers.info(nats.names.stream("email"), "email-worker");
  return {
    consumer,
    start(extra: Record<string, string>): EmailWorkerProcess {
      const port = freePort();
      const running = startPug(["worker", "email"], { ...env, PUG_WORKER_HEALTH_ADDR: `127.0.0.1:${port - 2}`, PUG_LOG_LEVEL: "info", PUG_EMAIL_FROM: "Pug <pug@pug.test>", ...extra });
      return { ...running, metricsUrl: `http://127.0.0.1:${port}/metrics` };
    },
    async untilPulling(running: RunningPug): Promise<void> {
      await waitFor("the email worker to pull from its consumer", async () => {
        if (running.proc.exitCode !== null) throw new Error(`email worker exited: ${running.output()}`);
        return (await consumer()).num_waiting > 0;
      }).catch((error: Error) => {
        throw new Error(`${error.message}\n${running.output()}`);
      });
    },
    /** Every queued message handled: none waiting, none delivered and unacknowledged. */
    async drained(): Promise<boolean> {
      const info = await consumer();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    /** The last message dead-lettered for `reason`. */
    async deadLetter(reason: string): Promise<EmailDeadLetter | undefined> {
      const stored = await nats.jsm.streams.getMessage(nats.names.stream("email_dlq"), { last_by_subj: nats.names.subject("email_dlq", reason) });
      if (!stored) return undefined;
      return { data: stored.data, reason: stored.header.get("Pug-Reason"), detail: stored.header.get("Pug-Detail"), sourceStream: stored.header.get("Pug-Source-Stream") };
    },
    /** Every message `stream` holds now, oldest first. */
    async messages(stream: "email" | "email_dlq"): Promise<StoredMsg[]> {
      const name = nats.names.stream(stream);
      const { state } = await nats.jsm.streams.info(name);
      const found: StoredMsg[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const message = await nats.jsm.streams.getMessage(name, { seq });
        if (message) found.push(message);
      }
      return found;
    },
    /** How many messages `email_dlq` holds. */
    async deadLettered(): Promise<number> {
      return (await nats.jsm.streams.info(nats.names.stream("email_dlq"))).state.messages;
    },
  };
}
