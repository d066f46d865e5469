// The erasure loop of `pug worker profile`: takes ErasureRequested messages from the `compliance` stream (consumer
// `compliance-worker`) and carries each request out (erasure-steps.ts), one at a time. A request is worked on under
// a Postgres advisory lock of its own, so two workers (or this loop and its sweep) never run it at once.
//
// Failures are retried by JetStream: the message is nak'ed with a growing delay, and on its last delivery the
// request is marked FAILED with the error (its tombstones stay running, so nothing of the person is stored in the
// meantime). Writers that do not catch up within the bound fail it at once. The sweep, at start and every minute,
// takes over requests that no message will bring back: processing ones whose worker died (their delivery would
// only return after ack_wait, five minutes) and pending ones whose message was lost.

import { fromBinary } from "@bufbuild/protobuf";
import type { Consumer, JsMsg } from "@nats-io/jetstream";
import type { App } from "../../app/app.ts";
import { backoffDelay, sleep } from "../../domain/backoff.ts";
import { ErasureRequestedSchema } from "../../gen/internal/compliance/v1/compliance_pb.ts";
import type { Nats } from "../../infra/nats.ts";
import type { Logger } from "../../logger.ts";
import { deadLetter } from "../../pipeline/dead-letter.ts";
import { pullOneByOne } from "../../pipeline/pull-one-by-one.ts";
import { type AdvisoryLock, tryAdvisoryLock } from "../../store/advisory-lock.ts";
import { failRequest, getDeletionRequest, stalledRequests, startProcessing } from "../../store/deletion-requests.ts";
import { requireConsumer } from "../idle-role.ts";
import { carryOutErasure } from "./erasure-steps.ts";
import { WritersBehind } from "./erasure-writers.ts";
import { isUuid } from "../../domain/uuid.ts";

export const COMPLIANCE_STREAM = "compliance";
export const COMPLIANCE_CONSUMER = "compliance-worker";

const SWEEP_EVERY_MS = 60_000;
/** A pending request older than this has lost its message (one normally arrives within milliseconds). */
const PENDING_LOST_AFTER_S = 120;
/** Under the consumer's ack_wait (300 s). */
const KEEP_ALIVE_MS = 30_000;

/** unrecorded: the request is not in Postgres (yet: a message can arrive before the commit that follows its publish). */
type Outcome = "done" | "retry" | "busy" | "unrecorded";

export async function runErasureWorker(app: App, signal: AbortSignal): Promise<void> {
  await requireConsumer(app, COMPLIANCE_STREAM, COMPLIANCE_CONSUMER);
  const nats = await app.nats();
  const consumer = await nats.js.consumers.get(nats.names.stream(COMPLIANCE_STREAM), COMPLIANCE_CONSUMER);
  const maxDeliver = (await consumer.info()).config.max_deliver ?? -1;
  const worker = new ErasureWorker(app, nats, app.log.child({ role: "profile", loop: "erasure" }), signal);
  app.log.info("erasure requests bound", { role: "profile", stream: COMPLIANCE_STREAM, consumer: COMPLIANCE_CONSUMER });
  await Promise.all([worker.consume(consumer, maxDeliver), worker.sweep()]);
}

class ErasureWorker {
  /** One request at a time in this process: the message loop and the sweep take turns. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly app: App,
    private readonly nats: Nats,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  async consume(consumer: Consumer, maxDeliver: number): Promise<void> {
    await pullOneByOne(consumer, (message) => this.#onMessage(message, maxDeliver), this.signal, this.log, "erasure requests");
  }

  async sweep(): Promise<void> {
    while (!this.signal.aborted) {
      try {
        for (const stalled of await stalledRequests(this.app.postgres(), PENDING_LOST_AFTER_S)) {
          if (this.signal.aborted) break;
          const outcome = await this.#inTurn(() => this.#attempt(stalled.id, stalled.projectId, () => {})).catch((error): Outcome => {
            this.log.error("could not work on a stalled erasure request", { request_id: stalled.id, error });
            return "retry";
          });
          if (outcome === "retry" && !this.signal.aborted) this.log.warn("a stalled erasure request is not done yet; the next sweep tries again", { request_id: stalled.id });
        }
      } catch (error) {
        this.log.error("could not look for stalled erasure requests", { error });
      }
      await sleep(SWEEP_EVERY_MS, this.signal);
    }
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(work);
    // The caller gets `run` and with it any failure; the next turn only waits for this one to be over.
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #onMessage(message: JsMsg, maxDeliver: number): Promise<void> {
    const lastDelivery = maxDeliver > 0 && message.info.deliveryCount >= maxDeliver;
    let requestId: string;
    let projectId: string;
    try {
      ({ requestId, projectId } = fromBinary(ErasureRequestedSchema, message.data));
      if (!isUuid(requestId)) throw new Error(`request_id ${JSON.stringify(requestId)} is not a UUID`);
      if (!isUuid(projectId)) throw new Error(`project_id ${JSON.stringify(projectId)} is not a UUID`);
    } catch (error) {
      await deadLetter(this.nats, { stream: COMPLIANCE_STREAM, seq: message.seq, data: message.data, reason: "undecodable", detail: (error as Error).message }, this.signal, this.log);
      this.app.metrics.deadLettered.inc({ table: "deletion_requests", reason: "undecodable" });
      message.ack();
      return;
    }
    this.log.debug("erasure request received", { request_id: requestId, seq: message.seq, delivery: message.info.deliveryCount });
    // Kept alive from now on: the sweep may be working on another request, and this one waits its turn.
    const keepAlive = setInterval(() => message.working(), KEEP_ALIVE_MS);
    try {
      const attempt = () => this.#attempt(requestId, projectId, () => message.working(), lastDelivery);
      const outcome = await this.#inTurn(attempt).catch((error): Outcome => {
        this.log.error("could not work on an erasure request; retrying later", { request_id: requestId, error });
        return "retry";
      });
      // After the last delivery JetStream delivers no more; a request left unfinished is the sweep's.
      if (outcome === "done" || lastDelivery) return message.ack();
      switch (outcome) {
        case "busy":
          // Another worker holds the request: it finishes it, or, if it dies, this delivery or the sweep takes over.
          return message.nak(30_000);
        case "unrecorded":
          this.log.debug("an erasure message arrived before its request was recorded; retrying", { request_id: requestId, delivery: message.info.deliveryCount });
          return message.nak(1_000);
        case "retry":
          return message.nak(backoffDelay(message.info.deliveryCount, { baseMs: 10_000, maxMs: 120_000 }));
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** One attempt at a request, under its lock. */
  async #attempt(requestId: string, projectId: string, keepAlive: () => void, lastDelivery = false): Promise<Outcome> {
    const lock = await lockRequest(this.app, requestId);
    if (!lock) return "busy";
    try {
      const sql = this.app.postgres();
      const recorded = await getDeletionRequest(sql, projectId, requestId);
      if (!recorded) {
        // Its transaction may not have committed yet, or never will.
        if (!lastDelivery) return "unrecorded";
        this.log.warn("an erasure message names a request that was never recorded; dropped", { request_id: requestId });
        return "done";
      }
      // Under the lock nobody else changes the status, so a request not finished now is started here.
      const request = recorded.status === "completed" || recorded.status === "failed" ? undefined : await startProcessing(sql, requestId);
      if (!request) return "done";
      try {
        await carryOutErasure(request, { app: this.app, nats: this.nats, signal: this.signal, keepAlive });
        this.app.metrics.erasures.inc({ outcome: "completed" });
        return "done";
      } catch (error) {
        if (this.signal.aborted) return "retry";
        const final = error instanceof WritersBehind || lastDelivery;
        this.log.error(final ? "erasure failed" : "erasure attempt failed; retrying later", { request_id: requestId, error });
        if (!final) return "retry";
        await failRequest(this.app.postgres(), requestId, (error as Error).message);
        this.app.metrics.erasures.inc({ outcome: "failed" });
        return "done";
      }
    } finally {
      await lock.release();
    }
  }
}

/** The request's advisory lock on a connection of its own, or undefined when someone else holds it. */
async function lockRequest(app: App, requestId: string): Promise<AdvisoryLock | undefined> {
  return await tryAdvisoryLock(app.postgres(), `pug erasure ${requestId}`, (error) =>
    app.log.warn("could not release an erasure lock", { request_id: requestId, error }),
  );
}
