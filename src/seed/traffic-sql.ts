// Seeded traffic as one ClickHouse SELECT over numbers(): each number is a session, ARRAY JOIN makes its events.
// Every draw is a hash of (seed, session[, step], purpose) scaled to [0, 1), so a row depends only on the seed
// and its session number: chunks can run in any order and two runs give the same rows. The lists it picks from
// (src/seed/traffic-model.ts) travel as query parameters.

import { type SeedPlan, SIGN_IN_SPREAD } from "./seed-plan.ts";
import { BUTTONS, DEVICES, HOSTNAME, JOURNEYS, PAGES, PLACES, PLANS, SHAPE, SITE, SOURCES } from "./traffic-model.ts";

/** The `events` columns the SELECT yields, in order; it also yields `user_agent` (for the API path). */
export const TRAFFIC_COLUMNS = [
  "project_id", "event_id", "kind", "occurred_at", "received_at", "distinct_id", "session_id", "cookieless", "is_bot",
  "url", "pathname", "hostname", "referrer", "referrer_domain", "channel", "utm_source", "utm_medium", "utm_campaign",
  "page_title", "locale", "screen_width", "screen_height", "platform", "sdk_version",
  "browser", "browser_version", "os", "os_version", "device_type", "country", "region", "city",
  "custom_properties", "custom_numbers", "custom_types",
] as const;

const draw = (...parts: string[]) => `(cityHash64({seed:UInt64}, ${parts.join(", ")}) / 18446744073709551616.)`;
/** An index into `list` (1-based), earlier entries more often. */
const skewed = (list: string, u: string) => `1 + toUInt32(floor(length(${list}) * pow(${u}, 2)))`;

/** What belongs to a visitor rather than a session: where they are, their device, their plan. */
const VISITOR_FACTS = `${skewed("{place_country:Array(String)}", draw("visitor", "'place'"))} AS place,
    ${skewed("{device_browser:Array(String)}", draw("visitor", "'device'"))} AS device,
    {plans:Array(String)}[${skewed("{plans:Array(String)}", draw("visitor", "'plan'"))}] AS plan,
    plan != 'free' AND ${draw("visitor", "'trial'")} < 0.4 AS is_trial`;

const sessionsSql = `
  SELECT
    number AS s,
    1 + toUInt32(floor(${SHAPE.maxSessionEvents} * pow(${draw("s", "1")}, 2))) AS len,
    toUInt64(floor({visitors:UInt64} * pow(${draw("s", "2")}, 1.5))) AS visitor,
    visitor % ${SHAPE.knownEvery} = 0 AS known,
    -- Sessions grow denser towards the end of the window (a growing product) and finish before it.
    {end_ms:Int64} - 3600000 - toInt64(floor(({window:UInt64} - 3600) * 1000 * (1 - sqrt(${draw("s", "3")})))) AS start_ms,
    {end_ms:Int64} - {window:UInt64} * 1000 + toInt64(((visitor * ${SIGN_IN_SPREAD} + {seed:UInt64}) % {window:UInt64}) * 1000) AS signed_in_ms,
    ${draw("s", "4")} AS funnel,
    len >= 4 AND funnel < ${SHAPE.started} AS started,
    started AND known AND funnel < ${SHAPE.started * SHAPE.completed} AS completed,
    completed AND funnel < ${SHAPE.started * SHAPE.completed * SHAPE.purchased} AS purchased,
    {journeys:Array(Array(String))}[1 + cityHash64({seed:UInt64}, s, 5) % length({journeys:Array(Array(String))})] AS journey,
    ${skewed("{src_referrer:Array(String)}", draw("s", "6"))} AS src,
    ${VISITOR_FACTS}
  FROM numbers({first:UInt64}, {count:UInt64})`;

const eventsSql = `
  SELECT *, step,
    multiIf(started AND step = len - 3, 'signup_started', completed AND step = len - 2, 'signup_completed',
      purchased AND step = len - 1, 'purchase', step > 0 AND ${draw("s", "step", "1")} < ${SHAPE.clicks}, 'cta_clicked', 'page_view') AS kind,
    multiIf(kind IN ('signup_started', 'signup_completed'), '/signup', kind = 'purchase', '/checkout',
      step > 0 AND ${draw("s", "step", "2")} < ${SHAPE.detours}, {page_paths:Array(String)}[1 + cityHash64({seed:UInt64}, s, step, 3) % length({page_paths:Array(String)})],
      journey[1 + step % length(journey)]) AS path,
    start_ms + step * 45000 + toInt64(cityHash64({seed:UInt64}, s, step, 4) % 40000) AS at_ms,
    1 + toUInt32(floor(4 * pow(${draw("s", "step", "5")}, 2))) AS items,
    round(items * [19.5, 49., 99.9][indexOf(['free', 'pro', 'team'], plan)] * (1 - 0.2 * ${draw("s", "step", "6")}), 2) AS amount
  FROM (${sessionsSql}) ARRAY JOIN range(len) AS step`;

/** Session `s`'s id: a UUID drawn from the seed. */
const SESSION_ID = "toString(reinterpretAsUUID(concat(reinterpretAsFixedString(cityHash64({seed:UInt64}, s, 'session')), reinterpretAsFixedString(cityHash64({seed:UInt64}, s, 'session2')))))";

/** Rows for `events` (TRAFFIC_COLUMNS, plus user_agent) of sessions [first, first + count), in no set order. */
export const TRAFFIC_SQL = `
SELECT
  {project:UUID} AS project_id,
  reinterpretAsUUID(concat(reinterpretAsFixedString(cityHash64({seed:UInt64}, s, step, 'id')), reinterpretAsFixedString(cityHash64({seed:UInt64}, s, step, 'id2')))) AS event_id,
  kind,
  fromUnixTimestamp64Milli(at_ms, 'UTC') AS occurred_at,
  occurred_at AS received_at,
  if(known AND start_ms >= signed_in_ms, concat('user-', toString(visitor)), concat('anon-', toString(visitor))) AS distinct_id,
  ${SESSION_ID} AS session_id,
  false AS cookieless,
  false AS is_bot,
  concat('${SITE}', path, if(step = 0 AND utm_source != '', concat('?utm_source=', utm_source, '&utm_medium=', utm_medium, '&utm_campaign=', utm_campaign), '')) AS url,
  path AS pathname,
  '${HOSTNAME}' AS hostname,
  if(step = 0, {src_referrer:Array(String)}[src], '') AS referrer,
  if(step = 0, {src_domain:Array(String)}[src], '') AS referrer_domain,
  if(step = 0, {src_channel:Array(String)}[src], 'Direct') AS channel,
  if(step = 0, {src_utm_source:Array(String)}[src], '') AS utm_source,
  if(step = 0, {src_utm_medium:Array(String)}[src], '') AS utm_medium,
  if(step = 0, {src_utm_campaign:Array(String)}[src], '') AS utm_campaign,
  {page_titles:Array(String)}[indexOf({page_paths:Array(String)}, path)] AS page_title,
  {place_locale:Array(String)}[place] AS locale,
  {device_width:Array(UInt16)}[device] AS screen_width,
  {device_height:Array(UInt16)}[device] AS screen_height,
  'web' AS platform,
  '1.4.0' AS sdk_version,
  {device_browser:Array(String)}[device] AS browser,
  {device_browser_version:Array(String)}[device] AS browser_version,
  {device_os:Array(String)}[device] AS os,
  {device_os_version:Array(String)}[device] AS os_version,
  {device_type:Array(String)}[device] AS device_type,
  {place_country:Array(String)}[place] AS country,
  {place_region:Array(String)}[place] AS region,
  {place_city:Array(String)}[place] AS city,
  CAST(multiIf(
    kind IN ('signup_started', 'signup_completed'), map('plan', plan, 'is_trial', if(is_trial, 'true', 'false')),
    kind = 'purchase', map('plan', if(plan = 'free', 'pro', plan), 'amount', toString(amount), 'items', toString(items)),
    kind = 'cta_clicked', map('button', {buttons:Array(String)}[${skewed("{buttons:Array(String)}", draw("s", "step", "7"))}]),
    map()), 'Map(String, String)') AS custom_properties,
  CAST(if(kind = 'purchase', map('amount', amount, 'items', toFloat64(items)), map()), 'Map(String, Float64)') AS custom_numbers,
  CAST(multiIf(kind IN ('signup_started', 'signup_completed'), map('is_trial', 4), kind = 'purchase', map('amount', 3, 'items', 2), map()), 'Map(String, UInt8)') AS custom_types,
  {device_user_agent:Array(String)}[device] AS user_agent
FROM (${eventsSql})`;

/** TRAFFIC_SQL in session order, the order a LIMIT must cut in to give the same rows every time. */
export const ORDERED_TRAFFIC_SQL = `${TRAFFIC_SQL}\nORDER BY s, step`;

/** How many events sessions [first, first + count) hold. */
export const SESSION_EVENTS_SQL = `SELECT toString(sum(len)) AS events FROM (${sessionsSql})`;

/** The visitors who sign in ([first, first + count) of them), with the facts their profile's traits repeat. */
export const KNOWN_VISITORS_SQL = `
SELECT visitor, plan, is_trial, {place_country:Array(String)}[place] AS country, {place_city:Array(String)}[place] AS city
FROM (SELECT ${SHAPE.knownEvery} * number AS visitor, ${VISITOR_FACTS} FROM numbers({first:UInt64}, {count:UInt64}))
ORDER BY visitor`;

/** The parameters of TRAFFIC_SQL and SESSION_EVENTS_SQL for one chunk of sessions. */
export function trafficParams(plan: SeedPlan, first: number, count: number): Record<string, unknown> {
  return {
    project: plan.projectId,
    seed: plan.seed,
    end_ms: plan.endMs,
    window: plan.windowSeconds,
    visitors: plan.visitors,
    first,
    count,
    journeys: JOURNEYS,
    page_paths: PAGES.map((p) => p.path),
    page_titles: PAGES.map((p) => p.title),
    src_referrer: SOURCES.map((s) => s.referrer),
    src_domain: SOURCES.map((s) => s.referrerDomain),
    src_channel: SOURCES.map((s) => s.channel),
    src_utm_source: SOURCES.map((s) => s.utmSource),
    src_utm_medium: SOURCES.map((s) => s.utmMedium),
    src_utm_campaign: SOURCES.map((s) => s.utmCampaign),
    place_country: PLACES.map((p) => p.country),
    place_region: PLACES.map((p) => p.region),
    place_city: PLACES.map((p) => p.city),
    place_locale: PLACES.map((p) => p.locale),
    device_browser: DEVICES.map((d) => d.browser),
    device_browser_version: DEVICES.map((d) => d.browserVersion),
    device_os: DEVICES.map((d) => d.os),
    device_os_version: DEVICES.map((d) => d.osVersion),
    device_type: DEVICES.map((d) => d.deviceType),
    device_width: DEVICES.map((d) => d.screenWidth),
    device_height: DEVICES.map((d) => d.screenHeight),
    device_user_agent: DEVICES.map((d) => d.userAgent),
    plans: PLANS,
    buttons: BUTTONS,
  };
}
