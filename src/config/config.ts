// The typed configuration every part of Pug receives. Built from the validated variables.

import type { OidcProvider } from "../domain/auth/oidc-providers.ts";
import type { StreamLimits } from "../domain/migrations/nats-declarations.ts";
import type { DevProcessesSetting } from "../domain/dev-processes.ts";
import type { LogLevel } from "../logger.ts";
import type { RawConfig } from "./variables.ts";

export interface Config {
  logLevel: LogLevel;
  postgres: { url: string };
  clickhouse: { url: string; database: string; cluster: string | undefined };
  /**
   * eventsPartitions: how many partitions `pug nats migrate` makes of the events stream the first time (fixed
   * after); undefined: as many as NATS has, one on the first migrate.
   */
  nats: { url: string; prefix: string; replicas: number; streamLimits: Record<string, StreamLimits>; eventsPartitions: number | undefined };
  redis: { url: string; prefix: string };
  /** jwtPreviousSecret: the key jwtSecret replaces, still accepted for tokens (and mail) it signed while rotating. */
  server: { host: string; port: number; sharePort: boolean; corsOrigins: string[]; jwtSecret: string | undefined; jwtPreviousSecret: string | undefined };
  /** Where `pug server` and `pug dev` serve /metrics (and health again) for operators only; undefined: nowhere. */
  serverAdmin: { host: string; port: number } | undefined;
  workerHealth: { host: string; port: number } | undefined;
  smtp: { url: string; from: string } | undefined;
  /** A mail refused for now is tried again after about this, doubling with each attempt (see src/domain/backoff.ts). */
  emailWorker: { retryBaseMs: number };
  controlPlane: {
    /** Where the dashboard is served: sign-in and invitation links point at it. */
    dashboardUrl: string;
    /** open: the first sign-in of a new address creates its account, org and project; invite_only: only invited
     * addresses (and the operator's `pug login-link`) get in. */
    signup: "open" | "invite_only";
    /** Days a soft-deleted project's data is kept before the scheduler purges it. */
    purgeGraceDays: number;
    /** Identity providers offered for sign-in (OIDC, authorization code with PKCE); empty: none. */
    oidcProviders: OidcProvider[];
  };
  intake: {
    trustedProxies: string[];
    /** Requests per second per client IP; 0 = unlimited. */
    ipRequestsPerSecond: number;
    /** Events per second per project; 0 = unlimited. */
    projectEventsPerSecond: number;
    /** Identify calls per second per project; 0 = unlimited. */
    projectIdentifyPerSecond: number;
    maxBodyBytes: number;
    maxDecodedBodyBytes: number;
  };
  eventsWorker: { batchMax: number; batchMaxBytes: number; batchWaitMs: number };
  geoipCityDb: string | undefined;
  shutdownGraceMs: number;
  restartBackoffMaxMs: number;
  /** How `pug dev` spreads its roles over child processes (see src/domain/dev-processes.ts). */
  devProcesses: DevProcessesSetting;
}

export function toConfig(raw: RawConfig): Config {
  return {
    logLevel: raw.PUG_LOG_LEVEL,
    postgres: { url: raw.DATABASE_URL },
    clickhouse: { url: raw.CLICKHOUSE_URL, database: raw.CLICKHOUSE_DATABASE, cluster: raw.CLICKHOUSE_CLUSTER },
    nats: { url: raw.NATS_URL, prefix: raw.PUG_NATS_PREFIX, replicas: raw.NATS_STREAM_REPLICAS, streamLimits: raw.PUG_NATS_STREAM_LIMITS, eventsPartitions: raw.PUG_EVENTS_PARTITIONS },
    redis: { url: raw.REDIS_URL, prefix: raw.PUG_REDIS_PREFIX },
    server: { host: raw.PUG_SERVER_HOST, port: raw.PUG_SERVER_PORT, sharePort: raw.PUG_SERVER_SHARE_PORT === "on", corsOrigins: raw.PUG_CORS_ORIGINS, jwtSecret: raw.PUG_JWT_SECRET_KEY, jwtPreviousSecret: raw.PUG_JWT_SECRET_KEY_PREVIOUS },
    serverAdmin: raw.PUG_SERVER_ADMIN_ADDR,
    workerHealth: raw.PUG_WORKER_HEALTH_ADDR,
    smtp: raw.PUG_SMTP_URL ? { url: raw.PUG_SMTP_URL, from: raw.PUG_EMAIL_FROM } : undefined,
    emailWorker: { retryBaseMs: raw.PUG_EMAIL_RETRY_BASE_MS },
    controlPlane: {
      dashboardUrl: raw.PUG_DASHBOARD_URL.replace(/\/+$/, ""),
      signup: raw.PUG_SIGNUP,
      purgeGraceDays: raw.PUG_PROJECT_PURGE_GRACE_DAYS,
      oidcProviders: raw.PUG_OIDC_PROVIDERS,
    },
    intake: {
      trustedProxies: raw.PUG_TRUSTED_PROXIES,
      ipRequestsPerSecond: raw.PUG_RATE_LIMIT_IP_RPS,
      projectEventsPerSecond: raw.PUG_RATE_LIMIT_PROJECT_EPS,
      projectIdentifyPerSecond: raw.PUG_RATE_LIMIT_PROJECT_IDENTIFY_PS,
      maxBodyBytes: raw.PUG_MAX_BODY_BYTES,
      maxDecodedBodyBytes: raw.PUG_MAX_DECODED_BODY_BYTES,
    },
    eventsWorker: { batchMax: raw.PUG_EVENTS_BATCH_MAX, batchMaxBytes: raw.PUG_EVENTS_BATCH_MAX_BYTES, batchWaitMs: raw.PUG_EVENTS_BATCH_WAIT_MS },
    geoipCityDb: raw.PUG_GEOIP_CITY_DB || undefined,
    shutdownGraceMs: raw.PUG_SHUTDOWN_GRACE_MS,
    restartBackoffMaxMs: raw.PUG_RESTART_BACKOFF_MAX_MS,
    devProcesses: raw.PUG_DEV_PROCESSES,
  };
}
