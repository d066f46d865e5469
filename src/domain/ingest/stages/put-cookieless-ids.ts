import type { Stage } from "../pipeline-types.ts";

/**
 * Cookieless events carry no ids: the visitor is the HMAC of project, client IP and user agent under a salt
 * that changes daily and is then forgotten, so the same visitor is recognisable for one day and never after.
 */
export const putCookielessIds: Stage = (w, ctx) => {
  if (!w.row.cookieless) return w;
  const hash = ctx.cookielessHash(`${w.request.projectId}\n${w.request.clientIp}\n${w.request.userAgent}`);
  w.row.distinct_id = `cookieless-${hash.slice(0, 32)}`;
  // One session per visitor and day: without a cookie there is nothing to tell two visits apart by.
  w.row.session_id = `cookieless-${hash.slice(32, 64)}`;
  return w;
};
