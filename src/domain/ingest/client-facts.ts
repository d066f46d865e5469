// The facts intake derives from the client IP before forgetting it: geo, and the cookieless visitor hash.

import type { ClientFacts } from "../../gen/internal/ingest/v1/ingest_pb.ts";
import type { ClientLookups } from "./pipeline-types.ts";

export type ClientFactsInit = Omit<ClientFacts, "$typeName" | "$unknown">;

/**
 * Cookieless events carry no ids: the visitor is the HMAC of project, client IP and user agent under a salt
 * that changes daily and is then forgotten, so the same visitor is recognisable for one day and never after.
 * The hash is computed only when `cookieless` events are present.
 */
export function deriveClientFacts(projectId: string, ip: string, userAgent: string, cookieless: boolean, lookups: ClientLookups): ClientFactsInit {
  const { country, region, city } = lookups.geo(ip);
  const visitorHash = cookieless ? lookups.cookielessHash(`${projectId}\n${ip}\n${userAgent}`) : "";
  return { country, region, city, visitorHash };
}
