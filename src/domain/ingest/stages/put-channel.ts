import type { Stage } from "../pipeline-types.ts";

// Where visits come from, the way marketing teams group them. UTM tags win over the referrer.
const searchEngines = /(^|\.)(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|qwant|startpage|naver|seznam|brave|kagi)\./;
const socialNetworks = /(^|\.)(facebook|fb|instagram|twitter|x|t|linkedin|lnkd|reddit|pinterest|tiktok|youtube|mastodon|threads|bsky|vk|weibo|quora|discord|telegram|whatsapp)\.(com|co|net|org|in|me|social|app|ru)$|^t\.co$/;
const emailClients = /(^|\.)(mail\.google|outlook\.live|mail\.yahoo|mail\.proton)\./;

export const putChannel: Stage = (w) => {
  w.row.channel = channelOf(w.row.utm_medium.toLowerCase(), w.row.utm_source.toLowerCase(), w.row.referrer_domain.toLowerCase());
  return w;
};

export function channelOf(medium: string, source: string, referrer: string): string {
  const paid = /^(cpc|ppc|paid|paidsearch|paid_search|cpm|cpv|display|banner)$/.test(medium) || medium.startsWith("paid");
  const socialSource = socialNetworks.test(source) || /^(facebook|instagram|twitter|x|linkedin|reddit|tiktok|youtube|pinterest)$/.test(source);
  if (paid && (socialSource || socialNetworks.test(referrer))) return "Paid Social";
  if (/^(display|banner|cpm|cpv)$/.test(medium)) return "Display";
  if (paid) return "Paid Search";
  if (medium === "email" || medium === "newsletter" || emailClients.test(referrer)) return "Email";
  if (medium === "affiliate" || medium === "partner") return "Affiliate";
  if (medium === "social" || socialSource || socialNetworks.test(referrer)) return "Organic Social";
  if (medium === "organic" || searchEngines.test(referrer + ".")) return "Organic Search";
  if (referrer) return "Referral";
  if (source || medium) return "Other Campaign";
  return "Direct";
}
