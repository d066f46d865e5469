// JetStream streams and consumers declared as data (migrations/nats/*.json), turned into the configurations the
// NATS client sends. Names in the files are bare (`events`); the installation's prefix is added here.

import * as v from "valibot";

const duration = v.pipe(v.string(), v.regex(/^\d+(ms|s|m|h|d)$/, "must be a duration like 500ms, 30s, 2m, 1h or 7d"));

const streamSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[a-z0-9_]+$/)),
  description: v.optional(v.string()),
  /** Messages stay until a consumer acknowledges them: nothing accepted is dropped for age or size. */
  retention: v.picklist(["workqueue", "limits"]),
  max_age: v.optional(duration),
  max_bytes: v.optional(v.pipe(v.number(), v.integer())),
  duplicate_window: v.optional(duration),
  /** Declares a `<name>_dlq` twin that takes messages which failed all their deliveries. */
  dead_letter: v.optional(v.boolean()),
});

const consumerSchema = v.strictObject({
  stream: v.string(),
  durable: v.pipe(v.string(), v.regex(/^[a-z0-9_-]+$/)),
  description: v.optional(v.string()),
  ack_wait: duration,
  max_deliver: v.pipe(v.number(), v.integer(), v.minValue(1)),
  max_ack_pending: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

const fileSchema = v.strictObject({
  streams: v.optional(v.array(streamSchema), []),
  consumers: v.optional(v.array(consumerSchema), []),
});

export type StreamDeclaration = v.InferOutput<typeof streamSchema>;
export type ConsumerDeclaration = v.InferOutput<typeof consumerSchema>;

export interface StreamSpec {
  name: string;
  description?: string;
  subjects: string[];
  retention: "workqueue" | "limits";
  storage: "file";
  discard: "new" | "old";
  num_replicas: number;
  max_age: number;
  max_bytes: number;
  duplicate_window: number;
}

export interface ConsumerSpec {
  stream: string;
  durable_name: string;
  description?: string;
  filter_subject: string;
  ack_policy: "explicit";
  deliver_policy: "all";
  ack_wait: number;
  max_deliver: number;
  max_ack_pending: number;
}

export interface NatsDeclarations {
  streams: StreamSpec[];
  consumers: ConsumerSpec[];
}

export function parseNatsFile(name: string, text: string): { streams: StreamDeclaration[]; consumers: ConsumerDeclaration[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name}: not valid JSON (${(error as Error).message})`);
  }
  const result = v.safeParse(fileSchema, json);
  if (!result.success) {
    const issue = result.issues[0];
    throw new Error(`${name}: ${v.getDotPath(issue) ?? "file"}: ${issue.message}`);
  }
  return result.output;
}

/** An installation's own size and age limit for a stream (bare name), in place of the declared ones. */
export interface StreamLimits {
  maxBytes: number;
  maxAge: string;
}

/**
 * Every stream (with its dead-letter twin) and consumer the files declare, named for this installation, with
 * `limits` (from PUG_NATS_STREAM_LIMITS) replacing the declared max_bytes and max_age of the streams it names.
 */
export function natsDeclarations(files: { name: string; text: string }[], prefix: string, replicas: number, limits: Record<string, StreamLimits> = {}): NatsDeclarations {
  const streams = new Map<string, StreamSpec>();
  const consumers = new Map<string, ConsumerSpec>();
  for (const file of files) {
    const parsed = parseNatsFile(file.name, file.text);
    for (const stream of parsed.streams) {
      streams.set(stream.name, streamSpec(stream, prefix, replicas));
      if (stream.dead_letter) {
        const dlq = deadLetterName(stream.name);
        streams.set(dlq, {
          ...streamSpec({ name: dlq, retention: "limits", max_age: "30d" }, prefix, replicas),
          description: `Messages of ${prefix}_${stream.name} that failed every delivery, with the reason in their headers`,
        });
      }
    }
    for (const consumer of parsed.consumers) {
      if (!streams.has(consumer.stream)) throw new Error(`${file.name}: consumer ${consumer.durable} names unknown stream '${consumer.stream}'`);
      consumers.set(`${consumer.stream}/${consumer.durable}`, {
        stream: `${prefix}_${consumer.stream}`,
        durable_name: consumer.durable,
        ...(consumer.description ? { description: consumer.description } : {}),
        filter_subject: `${prefix}.${consumer.stream}.>`,
        ack_policy: "explicit",
        deliver_policy: "all",
        ack_wait: nanos(consumer.ack_wait),
        max_deliver: consumer.max_deliver,
        max_ack_pending: consumer.max_ack_pending ?? 1000,
      });
    }
  }
  for (const [name, limit] of Object.entries(limits)) {
    const stream = streams.get(name);
    if (!stream) throw new Error(`PUG_NATS_STREAM_LIMITS names '${name}', which is not a stream (streams: ${[...streams.keys()].join(", ")})`);
    stream.max_bytes = limit.maxBytes;
    stream.max_age = nanos(limit.maxAge);
  }
  return { streams: [...streams.values()], consumers: [...consumers.values()] };
}

export const deadLetterName = (stream: string) => `${stream}_dlq`;

function streamSpec(stream: StreamDeclaration, prefix: string, replicas: number): StreamSpec {
  return {
    name: `${prefix}_${stream.name}`,
    ...(stream.description ? { description: stream.description } : {}),
    subjects: [`${prefix}.${stream.name}.>`],
    retention: stream.retention,
    storage: "file",
    // A full stream refuses new messages (the sender is told and retries) rather than dropping accepted ones.
    discard: stream.retention === "workqueue" ? "new" : "old",
    num_replicas: replicas,
    max_age: stream.max_age ? nanos(stream.max_age) : 0,
    max_bytes: stream.max_bytes ?? -1,
    duplicate_window: nanos(stream.duplicate_window ?? "2m"),
  };
}

export function nanos(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 }[match[2] as "ms" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
