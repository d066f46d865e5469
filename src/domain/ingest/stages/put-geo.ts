import type { Stage } from "../pipeline-types.ts";

/** Country (and region and city when a city database is configured), derived from the client IP at intake. */
export const putGeo: Stage = (w) => {
  w.row.country = w.request.geo.country;
  w.row.region = w.request.geo.region;
  w.row.city = w.request.geo.city;
  return w;
};
