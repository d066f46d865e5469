import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import { clickhouseTime, type EventRow } from "./event-row.ts";
import type { RequestFacts, WorkingEvent } from "./pipeline-types.ts";
import { propertyNumber, propertyText } from "./properties.ts";

/** The row as the SDK described the event, before any enrichment. */
export function newWorkingEvent(event: Event, request: RequestFacts): WorkingEvent {
  // Prototype-less maps: a property named "__proto__" is data like any other, not the object's prototype.
  const auto: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(event.autoProperties)) auto[key] = propertyText(value);
  const custom: Record<string, string> = Object.create(null);
  const numbers: Record<string, number> = Object.create(null);
  for (const [key, value] of Object.entries(event.customProperties)) {
    custom[key] = propertyText(value);
    const number = propertyNumber(value);
    if (number !== undefined) numbers[key] = number;
  }
  const row: EventRow = {
    project_id: request.projectId,
    event_id: event.eventId.toLowerCase(),
    kind: event.kind,
    occurred_at: clickhouseTime(timestampMs(event.occurTime!)),
    received_at: clickhouseTime(request.receivedAtMs),
    distinct_id: event.distinctId,
    session_id: event.sessionId.toLowerCase(),
    cookieless: event.cookieless,
    is_bot: false,
    url: "", pathname: "", hostname: "", referrer: "", referrer_domain: "", channel: "",
    utm_source: "", utm_medium: "", utm_campaign: "", utm_term: "", utm_content: "",
    page_title: "", locale: "", screen_width: 0, screen_height: 0, platform: "", sdk_version: "",
    browser: "", browser_version: "", os: "", os_version: "", device_type: "",
    country: "", region: "", city: "",
    auto_properties: auto,
    custom_properties: custom,
    custom_numbers: numbers,
  };
  return { event, request, row };
}
