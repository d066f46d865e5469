import { autoText } from "../properties.ts";
import type { Stage } from "../pipeline-types.ts";
import { urlParts } from "./put-url.ts";

/** `$referrer` and its domain; a referrer from the site itself is internal navigation and is blanked. */
export const putReferrer: Stage = (w) => {
  const raw = autoText(w.event.autoProperties, "$referrer");
  const domain = urlParts(raw)?.hostname;
  if (domain === undefined) return w;
  if (domain === w.row.hostname) return w;
  w.row.referrer = raw;
  w.row.referrer_domain = domain;
  return w;
};
