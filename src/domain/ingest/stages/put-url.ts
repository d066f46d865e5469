import { memoised } from "../../memoised.ts";
import { autoText } from "../properties.ts";
import type { Stage } from "../pipeline-types.ts";

const utmFields = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] as const;

/** What the stages keep of an http(s) URL. */
export interface UrlParts {
  /** Without a leading `www.`. */
  hostname: string;
  pathname: string;
  /** The values of `utmFields`, in order ("" when absent), at most 256 characters each. */
  utm: readonly string[];
}

const noUtm: readonly string[] = utmFields.map(() => "");

/** `$url` split into what reports group by: host, path and the UTM campaign parameters. */
export const putUrl: Stage = (w) => {
  const raw = autoText(w.event.autoProperties, "$url");
  w.row.url = raw;
  const url = urlParts(raw);
  if (!url) return w;
  w.row.hostname = url.hostname;
  w.row.pathname = url.pathname;
  utmFields.forEach((field, i) => (w.row[field] = url.utm[i]!));
  return w;
};

function partsOf(raw: string): UrlParts | undefined {
  const url = parseUrl(raw);
  if (!url) return undefined;
  const utm = mayHaveUtm(url.search) ? utmFields.map((field) => (url.searchParams.get(field) ?? "").slice(0, 256)) : noUtm;
  return { hostname: url.hostname.replace(/^www\./, ""), pathname: url.pathname, utm };
}

/** URLs longer than this are parsed each time: they are rarely repeated, and would make the memo large. */
const MEMOISED_MAX_LENGTH = 512;
const memoisedParts = memoised(partsOf, 10_000);

/**
 * Parsing a URL costs more than all the other stages of an event together, and most events of a site are on a few
 * hundred pages (and come from a few hundred referrers): the parts of the last 10,000 distinct URLs are remembered
 * (at most ~10 MB, with keys of at most MEMOISED_MAX_LENGTH characters).
 */
export const urlParts = (raw: string): UrlParts | undefined => (raw.length <= MEMOISED_MAX_LENGTH ? memoisedParts(raw) : partsOf(raw));

/**
 * Whether a query string can hold a `utm_…` parameter: building `searchParams` costs more than the rest of the
 * parse, and most URLs carry none. Without a literal "utm" and without any percent-escape (which could spell it),
 * it cannot.
 */
const mayHaveUtm = (search: string): boolean => search.includes("utm") || search.includes("%");

function parseUrl(raw: string): URL | undefined {
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
