// The fast path of binary BatchCreate (src/server/sdk/batch-create-fast.ts) answers exactly as Hono and Connect do.
// Two servers run in this process on the same stores, one built with the fast path and one without; every request
// below goes to both, and their answers (status, headers but the date, body bytes) must be identical. Each case also
// says which outcome it is for and whether the fast path takes it (counted by the fast server's metrics), so a case
// that fails the same way on both servers, or a fast path never taken, fails the test. What the fast path accepted
// must be in JetStream.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type App, bootstrap } from "../../src/app/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { readQueuedBatches } from "../../src/domain/ingest/ingest-frames.ts";
import { BatchCreateRequestSchema, BatchCreateResponseSchema, type Event } from "../../src/gen/sdk/events/v1/events_pb.ts";
import { connectNats, type Nats } from "../../src/infra/nats.ts";
import { createPostgres } from "../../src/infra/postgres.ts";
import { createLogger } from "../../src/logger.ts";
import { createProject, revokeApiKey } from "../../src/server/projects.ts";
import { serverRole } from "../../src/server/server-role.ts";
import { expectSuccess, runPug } from "../support/pug-process.ts";
import { queuedEvents } from "../support/queued-events.ts";
import { type ScratchEnv, scratchEnv } from "../support/scratch.ts";
import { BATCH_CREATE, batchBody, CHROME_UA, sdkEvent, str } from "../support/sdk-events.ts";

const IP_LIMIT = 5;
const PROJECT_LIMIT = 999;
const MiB = 1024 * 1024;

interface Served {
  url: string;
  app: App;
  stop(): Promise<void>;
}

/** `pug server` in this process, on a port of its own. */
async function serve(env: ScratchEnv, fastIntake: boolean): Promise<Served> {
  const { config } = loadConfig({ env: { ...env, PUG_SERVER_HOST: "127.0.0.1", PUG_SERVER_PORT: "0" }, systemEnvFile: "/nonexistent/pug.env" });
  const app = bootstrap(config, { log: createLogger({ level: "error" }) });
  const stopping = new AbortController();
  const listening = Promise.withResolvers<string>();
  const run = serverRole(app, { sharePort: false, fastIntake, onListening: listening.resolve }).run(stopping.signal);
  run.catch(listening.reject);
  return {
    url: await listening.promise,
    app,
    async stop() {
      stopping.abort();
      await run;
      await app.close();
    },
  };
}

// Set up before the cases are listed, since they name the projects' ids and keys.
const env: ScratchEnv = {
  ...(await scratchEnv("fast_intake")),
  PUG_LOG_LEVEL: "error",
  PUG_EVENTS_PARTITIONS: "1",
  // Each case sends from an address of its own (X-Forwarded-For), so only the flood meets the per-IP limit.
  PUG_TRUSTED_PROXIES: "127.0.0.1",
  PUG_RATE_LIMIT_IP_RPS: String(IP_LIMIT),
  PUG_RATE_LIMIT_PROJECT_EPS: String(PROJECT_LIMIT),
  // Above NATS' 1 MiB message, so an event too large for the queue can arrive uncompressed, and above the decoded
  // limit, so both body limits can be met.
  PUG_MAX_BODY_BYTES: String(4 * MiB),
  PUG_MAX_DECODED_BODY_BYTES: String(3 * MiB),
};
expectSuccess(await runPug(["migrate"], env), "pug migrate");
const sql = createPostgres({ url: env.DATABASE_URL, maxConnections: 1 });
const project = await createProject(sql, "fast intake");
/** Its own project for the per-project limit, which a case exhausts. */
const limited = await createProject(sql, "fast intake, limited");
const revokedKey = (await createProject(sql, "fast intake, revoked")).publicKey;
await revokeApiKey(sql, revokedKey);
await sql.end();

let fast: Served;
let usual: Served;
let nats: Nats;
beforeAll(async () => {
  [fast, usual] = await Promise.all([serve(env, true), serve(env, false)]);
  nats = await connectNats({ url: env.NATS_URL, prefix: env.PUG_NATS_PREFIX });
});

afterAll(async () => {
  await nats?.close();
  await Promise.all([fast?.stop(), usual?.stop()]);
});

interface Answer {
  status: number;
  headers: [string, string][];
  /** Text for JSON errors, hex for protobuf. */
  body: string;
}

async function answerOf(response: Response): Promise<Answer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const proto = response.headers.get("content-type")?.includes("proto") ?? false;
  const headers = [...response.headers].filter(([name]) => name !== "date").sort(([a], [b]) => a.localeCompare(b));
  return { status: response.status, headers, body: proto ? bytes.toString("hex") : bytes.toString("utf8") };
}

let nextAddress = 1;
/** A client address no other case uses. */
const address = () => `198.51.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

const sdkHeaders = (key: string) => ({ "content-type": "application/proto", "connect-protocol-version": "1", "x-api-key": key, "user-agent": CHROME_UA });
/** `headers` given as undefined are not sent. */
const post = (url: string, body: RequestInit["body"], headers: Record<string, string | undefined>, query = "") =>
  fetch(url + BATCH_CREATE + query, { method: "POST", headers: Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined), body });
const ev = (overrides: Parameters<typeof sdkEvent>[1] = {}) => sdkEvent(project.projectId, overrides);
/** Events too large for one NATS message (1.2 MB of properties), the body still within the body limits. */
const hugeProperties = () => Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`p${i}`, str("€".repeat(1000))]));

/** A body sent as a stream: no content-length, so the limit is met while reading. */
const chunked = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.byteLength; at += 256 * 1024) controller.enqueue(bytes.subarray(at, at + 256 * 1024));
      controller.close();
    },
  });

interface Case {
  name: string;
  /** Status, and the start of the body for an error (or `accepted n` for a protobuf reply). */
  outcome: string;
  /** Whether the fast path takes it; otherwise both servers answer through Hono and Connect. */
  takesFastPath: boolean;
  /** Sends the case's request(s) to a server and returns the answer to compare (a case may send several). */
  send(url: string): Promise<{ response: Response; sent: number }>;
  /** The events the case expects accepted. */
  accepts?: Event[];
}

/** One request per server; a case's body is made once, so both servers get the same bytes. */
function once(name: string, outcome: string, takesFastPath: boolean, request: (url: string, from: string) => Promise<Response>, accepts?: Event[]): Case {
  const from = address();
  return { name, outcome, takesFastPath, accepts, send: async (url) => ({ response: await request(url, from), sent: 1 }) };
}

function sdkCase(name: string, outcome: string, body: RequestInit["body"] | (() => RequestInit["body"]), headers: Record<string, string | undefined> = {}, options: { key?: string; query?: string; fast?: boolean; accepts?: Event[] } = {}) {
  return once(name, outcome, options.fast ?? true, (url, from) => post(url, typeof body === "function" ? body() : body, { ...sdkHeaders(options.key ?? project.publicKey), "x-forwarded-for": from, ...headers }, options.query), options.accepts);
}

function cases(): Case[] {
  const one = ev();
  const withOrigin = ev();
  const cookieless = ev({ cookieless: true, distinctId: "", sessionId: "" });
  const beacon = ev({ kind: "scroll" });
  const privateKeyed = ev();
  const identity = ev();
  const upper = ev();
  const timed = ev();
  const versioned = ev();
  const kept = ev();
  const many = Array.from({ length: 3 }, () => ev());
  const dropping = [kept, sdkEvent("00000000-0000-4000-8000-000000000000"), ev({ occurTime: timestampFromMs(Date.now() - 40 * 86_400_000) }), ev({ occurTime: timestampFromMs(Date.now() + 3 * 86_400_000) })];
  const overDecodedLimit = new Uint8Array(3.5 * MiB);
  return [
    // accepted
    sdkCase("one event, as the SDK sends it", "200 accepted 1", batchBody([one]), {}, { accepts: [one] }),
    sdkCase("one event from a page (Origin)", "200 accepted 1", batchBody([withOrigin]), { origin: "https://shop.example.com" }, { accepts: [withOrigin] }),
    sdkCase("three events", "200 accepted 3", batchBody(many), { origin: "https://shop.example.com" }, { accepts: many }),
    sdkCase("a cookieless event", "200 accepted 1", batchBody([cookieless]), {}, { accepts: [cookieless] }),
    once("the sendBeacon form (key in the query string)", "200 accepted 1", true, (url, from) =>
      post(url, new Blob([batchBody([beacon])], { type: "application/proto" }), { "content-type": "application/proto", origin: "https://shop.example.com", "user-agent": CHROME_UA, "x-forwarded-for": from }, `?api_key=${encodeURIComponent(project.publicKey)}`), [beacon]),
    sdkCase("a private key in x-api-key", "200 accepted 1", batchBody([privateKeyed]), {}, { key: project.privateKey, accepts: [privateKeyed] }),
    sdkCase("content-encoding: identity", "200 accepted 1", batchBody([identity]), { "content-encoding": "identity" }, { accepts: [identity] }),
    sdkCase("content-type in capitals, no connect-protocol-version", "200 accepted 1", batchBody([upper]), { "content-type": "Application/Proto", "connect-protocol-version": undefined }, { accepts: [upper] }),
    sdkCase("an empty batch", "200 accepted 0", new Uint8Array(0)),
    // some events dropped
    sdkCase("events of another project or outside the time window", "200 accepted 1", batchBody(dropping), {}, { accepts: [kept] }),
    // invalid bodies and events
    sdkCase("garbage bytes", '400 {"code":"invalid_argument","message":"request body: parse binary:', new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01])),
    sdkCase("a truncated body", '400 {"code":"invalid_argument","message":"request body: parse binary:', batchBody([ev()]).subarray(0, 40)),
    sdkCase("1001 events", '400 {"code":"invalid_argument","message":"events: at most 1000 events per batch', batchBody(Array.from({ length: 1001 }, () => ev()))),
    sdkCase("several problems at once", '400 {"code":"invalid_argument","message":"events[0].event_id: not a UUID; events[0].kind: required', batchBody([ev({ eventId: "x", kind: "" })])),
    sdkCase("an event too large for a queue message", '400 {"code":"invalid_argument","message":"events[1]: ', batchBody([ev(), ev({ customProperties: hugeProperties() })])),
    // who is calling
    sdkCase("no API key", '401 {"code":"unauthenticated","message":"missing API key', batchBody([ev()]), { "x-api-key": undefined }),
    sdkCase("a malformed API key", '401 {"code":"unauthenticated","message":"malformed API key', batchBody([ev()]), {}, { key: "secret" }),
    sdkCase("an unknown API key", '401 {"code":"unauthenticated","message":"unknown or revoked API key"', batchBody([ev()]), { origin: "https://shop.example.com" }, { key: `pub_${"0".repeat(32)}` }),
    sdkCase("a revoked API key", '401 {"code":"unauthenticated","message":"unknown or revoked API key"', batchBody([ev()]), {}, { key: revokedKey }),
    sdkCase("a private key in the query string", '401 {"code":"unauthenticated","message":"api_key query parameter', batchBody([ev()]), { "x-api-key": undefined }, { query: `?api_key=${project.privateKey}` }),
    sdkCase("a bad header key beside a good query key", '401 {"code":"unauthenticated","message":"unknown or revoked', batchBody([ev()]), {}, { key: `pub_${"1".repeat(32)}`, query: `?api_key=${project.publicKey}` }),
    // limits
    sdkCase("events past the project's limit", '429 {"code":"resource_exhausted","message":"too many events for this project (limit 999 per second)', batchBody(Array.from({ length: 1000 }, () => sdkEvent(limited.projectId))), { origin: "https://shop.example.com" }, { key: limited.publicKey }),
    floodCase(),
    sdkCase("a body over the limit (content-length)", '413 {"code":"invalid_argument","message":"request body is 4.0 MiB; the limit is 4.0 MiB', new Uint8Array(4 * MiB + 1)),
    sdkCase("a body over the limit (chunked)", '413 {"code":"invalid_argument","message":"request body exceeds the limit of 4.0 MiB', () => chunked(new Uint8Array(4 * MiB + 1))),
    sdkCase("a body over the decoded limit", '413 {"code":"invalid_argument","message":"request body is 3.5 MiB; the limit is 3.0 MiB', overDecodedLimit),
    // not for the fast path: both servers answer through Hono and Connect
    // Connect's handler takes any protocol version as mounted (requireConnectProtocolHeader: false); a version other
    // than 1 is still left to it.
    sdkCase("connect-protocol-version 2", "200 accepted 1", batchBody([versioned]), { "connect-protocol-version": "2" }, { fast: false, accepts: [versioned] }),
    sdkCase("a connect-timeout-ms that does not parse", '400 {"code":"invalid_argument","message":"protocol error: invalid connect timeout value', batchBody([ev()]), { "connect-timeout-ms": "soon" }, { fast: false }),
    sdkCase("connect-timeout-ms set", "200 accepted 1", batchBody([timed]), { "connect-timeout-ms": "5000" }, { fast: false, accepts: [timed] }),
    sdkCase("a gzip body", "200 accepted 1", gzipSync(batchBody([ev()])), { "content-encoding": "gzip" }, { fast: false }),
    sdkCase("JSON", '400 {"code":"invalid_argument","message":"cannot decode', "{\"events\": [", { "content-type": "application/json" }, { fast: false }),
    once("the CORS preflight", "204", false, (url) =>
      fetch(url + BATCH_CREATE, { method: "OPTIONS", headers: { origin: "https://shop.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version,x-api-key" } })),
  ];
}

/** Requests from one address until the per-IP limit refuses one (it allows IP_LIMIT a second). */
function floodCase(): Case {
  const from = address();
  const body = batchBody([ev()]);
  return {
    name: "a flood from one address",
    outcome: '429 {"code":"resource_exhausted","message":"too many requests from this address (limit 5 per second); retry after 1 s"}',
    takesFastPath: true,
    async send(url) {
      const responses = await Promise.all(Array.from({ length: 4 * IP_LIMIT }, () => post(url, body, { ...sdkHeaders(project.publicKey), "x-forwarded-for": from, origin: "https://shop.example.com" })));
      const refusal = responses.find((response) => response.status === 429) ?? responses[0]!;
      await Promise.all(responses.filter((response) => response !== refusal).map((response) => response.arrayBuffer()));
      return { response: refusal, sent: responses.length };
    },
  };
}

const fastPathCount = async (served: Served) => (await served.app.metrics.intakeFastPath.get()).values[0]?.value ?? 0;
/** Requests counted under BatchCreate's route label, whichever way they were answered. */
const routeCount = async (served: Served) => (await served.app.metrics.httpRequests.get()).values.filter((v) => v.labels.route === BATCH_CREATE).reduce((sum, v) => sum + v.value, 0);
const counts = async () => Promise.all([fastPathCount(fast), fastPathCount(usual), routeCount(fast), routeCount(usual)]);

/** What `outcome` says of an answer: status, then `accepted n` or the body as text. */
function outcomeOf(answer: Answer): string {
  const proto = answer.headers.some(([name, value]) => name === "content-type" && value === "application/proto");
  if (!proto) return `${answer.status} ${answer.body}`.trimEnd();
  return `${answer.status} accepted ${fromBinary(BatchCreateResponseSchema, Buffer.from(answer.body, "hex")).accepted}`;
}

/** Sends `c` to the fast server, then to the other; expects the same answer with the case's outcome. */
async function compare(c: Case): Promise<Answer> {
  const before = await counts();
  const { response: fromFast, sent } = await c.send(fast.url);
  const fastAnswer = await answerOf(fromFast);
  const fromUsual = await c.send(usual.url);
  const usualAnswer = await answerOf(fromUsual.response);
  expect(fastAnswer).toEqual(usualAnswer);
  expect(outcomeOf(fastAnswer)).toStartWith(c.outcome);
  const after = await counts();
  expect(after.map((count, i) => count - before[i]!)).toEqual([c.takesFastPath ? sent : 0, 0, sent, fromUsual.sent]);
  return fastAnswer;
}

const all = cases();

describe("the fast path of binary BatchCreate answers as Hono and Connect do", () => {
  test.each(all.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    await compare(c);
  });

  test("what the fast path accepted is in JetStream, as the SDK sent it", async () => {
    const event = ev({ customProperties: { plan: str("pro") } });
    const response = await post(fast.url, batchBody([event]), { ...sdkHeaders(project.publicKey), "x-forwarded-for": "81.2.69.160" });
    expect(fromBinary(BatchCreateResponseSchema, new Uint8Array(await response.arrayBuffer())).accepted).toBe(1);

    const stream = nats.names.stream("events");
    const { state } = await nats.jsm.streams.info(stream);
    const message = await nats.jsm.streams.getMessage(stream, { seq: state.last_seq });
    const [batch] = readQueuedBatches(message!.data, message!.subject).filter((b) => b.events.some((e) => e.eventId === event.eventId));
    expect(batch).toMatchObject({ projectId: project.projectId, userAgent: CHROME_UA, client: { country: "GB" } });
    expect(batch!.events).toEqual([fromBinary(BatchCreateRequestSchema, batchBody([event])).events[0]!]);

    // The cases' accepted events too (each sent to the fast server first; the other's copy is a duplicate).
    const queued = await queuedEvents(nats);
    const accepted = all.flatMap((c) => c.accepts ?? []).map((e) => e.eventId);
    expect(accepted.filter((id) => !queued.has(id))).toEqual([]);
  });

  test("a publish that fails is answered 503 unavailable by both", async () => {
    const stream = nats.names.stream("events");
    const { config } = await nats.jsm.streams.info(stream);
    await nats.jsm.streams.update(stream, { ...config, max_msg_size: 64 });
    try {
      await compare(sdkCase("a publish refused by JetStream", '503 {"code":"unavailable","message":"the event queue is unavailable; retry"}', batchBody([ev()])));
    } finally {
      await nats.jsm.streams.update(stream, config);
    }
  });

  test("a full queue is answered 503 with Retry-After by both", async () => {
    const stream = nats.names.stream("events");
    const { config, state } = await nats.jsm.streams.info(stream);
    await nats.jsm.streams.update(stream, { ...config, max_msgs: state.messages });
    try {
      const answer = await compare(sdkCase("a full stream", '503 {"code":"unavailable","message":"the event queue is full; retry after 30 s"}', batchBody([ev()]), { origin: "https://shop.example.com" }));
      expect(answer.headers).toContainEqual(["retry-after", "30"]);
    } finally {
      await nats.jsm.streams.update(stream, config);
    }
  });
});
