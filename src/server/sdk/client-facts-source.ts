// Intake derives geo and the cookieless visitor hash from the client IP here, so only these facts, never the
// IP, are queued. The geo databases are loaded once per server; the salt comes from Redis once per day.

import type { App } from "../../app/app.ts";
import { type ClientFactsInit, deriveClientFacts } from "../../domain/ingest/client-facts.ts";
import { cookielessSalt, hmacHex } from "../../infra/cookieless-salt.ts";
import { type GeoLookup, loadGeoIp } from "../../infra/geoip.ts";

export type ClientFactsSource = (projectId: string, ip: string, userAgent: string, cookieless: boolean, atMs: number) => Promise<ClientFactsInit>;

export function clientFactsSource(app: App): ClientFactsSource {
  const salts = cookielessSalt(app.redis(), app.log, () => app.metrics.redisFailOpen.inc({ purpose: "cookieless_salt" }));
  let geo: Promise<GeoLookup> | undefined;
  const loadGeo = () => {
    // A failed load (e.g. an unreadable city database) is retried by the next request, not cached.
    geo ??= loadGeoIp(app.config.geoipCityDb).catch((error) => {
      geo = undefined;
      throw error;
    });
    return geo;
  };
  loadGeo().catch((error) => app.log.error("could not load the geo databases; retrying with the next request", { error }));
  return async (projectId, ip, userAgent, cookieless, atMs) => {
    const lookup = await loadGeo();
    const salt = cookieless ? await salts.forDay(atMs) : undefined;
    return deriveClientFacts(projectId, ip, userAgent, cookieless, { geo: lookup, cookielessHash: (input) => hmacHex(salt!, input) });
  };
}
