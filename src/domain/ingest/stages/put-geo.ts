import type { Stage } from "../pipeline-types.ts";

/** Country (and region and city when a city database is configured) from the client IP, which is not kept. */
export const putGeo: Stage = (w, ctx) => {
  const geo = ctx.geo(w.request.clientIp);
  w.row.country = geo.country;
  w.row.region = geo.region;
  w.row.city = geo.city;
  return w;
};
