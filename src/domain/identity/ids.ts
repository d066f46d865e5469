// The kinds of distinct ids. `anon-…` ids are made by the SDK for a visitor not yet known; `cookieless-…` ids are
// derived by the server from a daily-salted hash and belong to nobody (a different one every day).

export const isAnonymousId = (id: string): boolean => id.startsWith("anon-");
export const isCookielessId = (id: string): boolean => id.startsWith("cookieless-");
