import { autoText } from "../properties.ts";
import type { Stage } from "../pipeline-types.ts";

const utmFields = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] as const;

/** `$url` split into what reports group by: host, path and the UTM campaign parameters. */
export const putUrl: Stage = (w) => {
  const raw = autoText(w.event.autoProperties, "$url");
  w.row.url = raw;
  const url = parseUrl(raw);
  if (!url) return w;
  w.row.hostname = url.hostname.replace(/^www\./, "");
  w.row.pathname = url.pathname;
  if (mayHaveUtm(url.search)) for (const field of utmFields) w.row[field] = (url.searchParams.get(field) ?? "").slice(0, 256);
  return w;
};

/**
 * Whether a query string can hold a `utm_…` parameter: building `searchParams` costs more than the rest of the
 * stage, and most URLs carry none. Without a literal "utm" and without any percent-escape (which could spell it),
 * it cannot.
 */
const mayHaveUtm = (search: string): boolean => search.includes("utm") || search.includes("%");

export function parseUrl(raw: string): URL | undefined {
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
