import type { Stage } from "../pipeline-types.ts";

/** Cookieless events get their ids from the visitor hash intake derived (see ../client-facts.ts). */
export const putCookielessIds: Stage = (w) => {
  if (!w.row.cookieless) return w;
  const hash = w.request.visitorHash;
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error("cookieless event without a visitor hash in its batch");
  w.row.distinct_id = `cookieless-${hash.slice(0, 32)}`;
  // One session per visitor and day: without a cookie there is nothing to tell two visits apart by.
  w.row.session_id = `cookieless-${hash.slice(32, 64)}`;
  return w;
};
