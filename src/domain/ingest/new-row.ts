import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event } from "../../gen/sdk/events/v1/events_pb.ts";
import { type EventRow, rowTime } from "./event-row.ts";
import type { RequestFacts, WorkingEvent } from "./pipeline-types.ts";
import { storedProperties } from "./properties.ts";
import { promotedColumnNamed } from "../properties/promoted-columns.ts";

const notPromoted = (key: string): boolean => promotedColumnNamed(key) === undefined;

/**
 * The row as the SDK described the event, before any enrichment. The automatic properties that have a column
 * (`$url`, `$referrer`, `$pageTitle`, `$screenWidth`, …) are stored in their column only, filled by the stages
 * from the event: every read takes them from there (../properties/promoted-columns.ts).
 */
export function newWorkingEvent(event: Event, request: RequestFacts): WorkingEvent {
  const auto = storedProperties(event.autoProperties, false, notPromoted);
  const custom = storedProperties(event.customProperties, true);
  const row: EventRow = {
    project_id: request.projectId,
    event_id: event.eventId.toLowerCase(),
    kind: event.kind,
    occurred_at: rowTime("occur_time", timestampMs(event.occurTime!)),
    received_at: rowTime("received_at", request.receivedAtMs),
    distinct_id: event.distinctId,
    session_id: event.sessionId.toLowerCase(),
    cookieless: event.cookieless,
    is_bot: false,
    url: "", pathname: "", hostname: "", referrer: "", referrer_domain: "", channel: "",
    utm_source: "", utm_medium: "", utm_campaign: "", utm_term: "", utm_content: "",
    page_title: "", locale: "", screen_width: 0, screen_height: 0, platform: "", sdk_version: "",
    browser: "", browser_version: "", os: "", os_version: "", device_type: "",
    country: "", region: "", city: "",
    auto_properties: auto.texts,
    auto_types: auto.types,
    custom_properties: custom.texts,
    custom_numbers: custom.numbers,
    custom_types: custom.types,
  };
  return { event, request, row };
}
