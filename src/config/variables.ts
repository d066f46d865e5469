// Every environment variable Pug reads: how it is validated, an example of a good value, whether it is secret.
// The schema is the documentation: `pug config --help` and error messages are generated from it.

import * as v from "valibot";
import ipaddr from "ipaddr.js";
import { parseOidcProviders } from "../domain/auth/oidc-providers.ts";
import { LOG_LEVELS } from "../logger.ts";
import { parseDevProcesses } from "../domain/dev-processes.ts";
import { MAX_EVENT_PARTITIONS } from "../domain/ingest/event-partitions.ts";

function isCidr(text: string): boolean {
  try {
    if (text.includes("/")) ipaddr.parseCIDR(text);
    else ipaddr.parse(text);
    return true;
  } catch {
    return false;
  }
}

type StringSchema<T> = v.GenericSchema<string, T>;

export interface Variable<T = unknown> {
  schema: StringSchema<T>;
  example: string;
  secret?: boolean;
}

const variable = <T>(schema: StringSchema<T>, example: string, secret = false): Variable<T> => ({ schema, example, secret });

const url = (protocols: string[]) =>
  v.pipe(
    v.string(),
    v.check((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => p + "//").join(" or ")}`),
  );

const optional = <T>(schema: StringSchema<T>) =>
  v.union([v.pipe(v.literal(""), v.transform(() => undefined)), schema], (issue) => issue.issues?.at(-1)?.message ?? issue.message);

const integer = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `must be a whole number from ${min} to ${max}`),
  );

const name = (what: string) => v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, `must be ${what}: letters, digits, '_' or '-'`));

const hostPort = v.pipe(
  v.string(),
  v.regex(/^(off|\[?[A-Za-z0-9.:-]*\]?:\d{1,5})$/, "must be host:port (e.g. 127.0.0.1:9090) or off"),
  v.transform((value) => {
    if (value === "off") return undefined;
    const colon = value.lastIndexOf(":");
    return { host: value.slice(0, colon).replace(/^\[|\]$/g, "") || "0.0.0.0", port: Number(value.slice(colon + 1)) };
  }),
  v.check((addr) => addr === undefined || addr.port <= 65535, "port must be at most 65535"),
);

const byteUnits: Record<string, number> = { "": 1, B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** `events=10GiB/7d,profiles=2GiB/7d`: per stream (bare name), its largest size and the age its messages may reach. */
const streamLimits = v.pipe(
  v.string(),
  v.check(
    (value) => value.split(",").filter((e) => e.trim()).every((entry) => /^\s*[a-z0-9_]+=\d+(B|KiB|MiB|GiB|TiB)?\/\d+(ms|s|m|h|d)\s*$/.test(entry)),
    "must be comma-separated stream=SIZE/AGE entries like events=20GiB/14d (sizes in B, KiB, MiB, GiB or TiB; ages in s, m, h or d)",
  ),
  v.transform((value) => {
    const limits: Record<string, { maxBytes: number; maxAge: string }> = {};
    for (const entry of value.split(",").map((e) => e.trim()).filter(Boolean)) {
      const [, name, size, unit, age] = /^([a-z0-9_]+)=(\d+)([A-Za-z]*)\/(.+)$/.exec(entry)!;
      limits[name!] = { maxBytes: Number(size) * byteUnits[unit!]!, maxAge: age! };
    }
    return limits;
  }),
);

const origins = v.pipe(
  v.string(),
  v.transform((value) => value.split(",").map((o) => o.trim()).filter(Boolean)),
  v.check(
    (list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
    "must be comma-separated origins like https://app.example.com (scheme and host, no path)",
  ),
);

/** A JSON array of OIDC providers (src/domain/auth/oidc-providers.ts); every problem reported in one message. */
const oidcProviders = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const parsed = parseOidcProviders(dataset.value);
    if ("providers" in parsed) return parsed.providers;
    addIssue({ message: parsed.problems.join("; ") });
    return NEVER;
  }),
);

export const variables = {
  PUG_LOG_LEVEL: variable(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`), "info"),
  DATABASE_URL: variable(url(["postgres:", "postgresql:"]), "postgres://pug:secret@10.0.0.5:5432/pug", true),
  CLICKHOUSE_URL: variable(url(["http:", "https:"]), "http://default:secret@10.0.0.6:8123", true),
  CLICKHOUSE_DATABASE: variable(name("a database name"), "pug"),
  CLICKHOUSE_CLUSTER: variable(optional(name("a cluster name")), "analytics"),
  NATS_URL: variable(
    v.pipe(
      v.string(),
      v.check((value) => value.split(",").every((u) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(u.trim())), "must be nats:// URLs, comma-separated"),
    ),
    "nats://10.0.0.7:4222",
    true,
  ),
  PUG_NATS_PREFIX: variable(name("a stream/subject prefix"), "pug"),
  NATS_STREAM_REPLICAS: variable(integer(1, 5), "3"),
  PUG_NATS_STREAM_LIMITS: variable(streamLimits, "events=20GiB/14d,events_dlq=2GiB/30d"),
  PUG_EVENTS_PARTITIONS: variable(optional(integer(1, MAX_EVENT_PARTITIONS)), "4"),
  REDIS_URL: variable(url(["redis:", "rediss:"]), "redis://10.0.0.8:6379", true),
  PUG_REDIS_PREFIX: variable(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_:-]+$/, "must be a key prefix: letters, digits, '_', '-' or ':'")), "pug"),
  PUG_SERVER_HOST: variable(v.pipe(v.string(), v.regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or IP address")), "0.0.0.0"),
  PUG_SERVER_PORT: variable(integer(0, 65535), "8080"),
  PUG_SERVER_SHARE_PORT: variable(v.picklist(["on", "off"], "must be on or off"), "off"),
  PUG_CORS_ORIGINS: variable(origins, "https://app.example.com,https://admin.example.com"),
  PUG_JWT_SECRET_KEY: variable(optional(v.pipe(v.string(), v.minLength(32, "must be at least 32 characters"))), "(32+ random characters, e.g. from: openssl rand -base64 48)", true),
  PUG_JWT_SECRET_KEY_PREVIOUS: variable(optional(v.pipe(v.string(), v.minLength(32, "must be at least 32 characters"))), "(the previous PUG_JWT_SECRET_KEY, while rotating it)", true),
  PUG_DASHBOARD_URL: variable(url(["http:", "https:"]), "https://analytics.example.com"),
  PUG_SIGNUP: variable(v.picklist(["open", "invite_only"], "must be open or invite_only"), "invite_only"),
  PUG_PROJECT_PURGE_GRACE_DAYS: variable(integer(1, 3650), "7"),
  PUG_OIDC_PROVIDERS: variable(
    oidcProviders,
    `'[{"id":"keycloak","display_name":"Company SSO","issuer_url":"https://sso.example.com/realms/main","client_id":"pug","client_secret":"…"}]'`,
    true,
  ),
  PUG_SERVER_ADMIN_ADDR: variable(hostPort, "127.0.0.1:9089"),
  PUG_WORKER_HEALTH_ADDR: variable(hostPort, "127.0.0.1:9090"),
  PUG_TRUSTED_PROXIES: variable(
    v.pipe(
      v.string(),
      v.transform((value) => value.split(",").map((c) => c.trim()).filter(Boolean)),
      v.check((list) => list.every(isCidr), "must be comma-separated IP addresses or CIDR ranges, e.g. 10.0.0.0/8,::1"),
    ),
    "10.0.0.0/8,127.0.0.1",
  ),
  PUG_RATE_LIMIT_IP_RPS: variable(integer(0, 1_000_000), "200"),
  PUG_RATE_LIMIT_PROJECT_EPS: variable(integer(0, 100_000_000), "20000"),
  PUG_RATE_LIMIT_PROJECT_IDENTIFY_PS: variable(integer(0, 100_000_000), "1000"),
  PUG_MAX_BODY_BYTES: variable(integer(1024, 64 * 1024 * 1024), "1048576"),
  PUG_MAX_DECODED_BODY_BYTES: variable(integer(1024, 256 * 1024 * 1024), "5242880"),
  PUG_EVENTS_BATCH_MAX: variable(integer(1, 1_000_000), "20000"),
  PUG_EVENTS_BATCH_MAX_BYTES: variable(integer(64 * 1024, 1024 * 1024 * 1024), "16777216"),
  PUG_EVENTS_BATCH_WAIT_MS: variable(integer(10, 60_000), "1000"),
  PUG_GEOIP_CITY_DB: variable(v.string(), "/var/lib/pug/GeoLite2-City.mmdb"),
  PUG_SMTP_URL: variable(optional(url(["smtp:", "smtps:"])), "smtp://mailer:secret@mail.example.com:587", true),
  PUG_EMAIL_FROM: variable(v.pipe(v.string(), v.regex(/^(.*<)?[^@\s<>]+@[^@\s<>]+>?$/, "must be an address like Pug <pug@example.com>")), "Pug <pug@example.com>"),
  PUG_EMAIL_RETRY_BASE_MS: variable(integer(100, 600_000), "10000"),
  PUG_SHUTDOWN_GRACE_MS: variable(integer(0, 600_000), "10000"),
  PUG_RESTART_BACKOFF_MAX_MS: variable(integer(100, 3_600_000), "30000"),
  PUG_DEV_PROCESSES: variable(
    v.pipe(
      v.string(),
      v.check((value) => parseDevProcesses(value) !== undefined, "must be auto, single, or counts like server=2,events=1 (each 1 to 999)"),
      v.transform((value) => parseDevProcesses(value)!),
    ),
    "server=2,events=1",
  ),
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof variables;
export type RawConfig = { [K in VariableName]: v.InferOutput<(typeof variables)[K]["schema"]> };
