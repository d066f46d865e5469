// Who may call what: one entry for every procedure the server answers. The auth boundary (auth-boundary.ts)
// enforces it before any handler runs, so services never look at credentials themselves. A procedure missing
// from the table is refused, whoever calls it.

import type { DescService } from "@bufbuild/protobuf";

/**
 * - `public`: anyone.
 * - `sdk_key`: a public (`pub_`) or private (`prv_`) API key of the project the call is for.
 * - `dashboard_jwt`: a signed-in dashboard user (arrives with the control plane, issue 11).
 * - `jwt_or_private_key`: a dashboard user, or a private key, which binds the call to its own project.
 */
export type Access = "public" | "sdk_key" | "dashboard_jwt" | "jwt_or_private_key";

const table: Record<string, Access> = {
  "/sdk.events.v1.EventsService/BatchCreate": "sdk_key",
  "/sdk.profiles.v1.ProfilesSDKService/Identify": "sdk_key",

  "/shared.profiles.v1.ProfilesService/Get": "jwt_or_private_key",
  "/shared.profiles.v1.ProfilesService/GetByExternalId": "jwt_or_private_key",
  "/shared.profiles.v1.ProfilesService/List": "jwt_or_private_key",
  "/shared.profiles.v1.ProfilesService/Delete": "jwt_or_private_key",
  "/shared.profiles.v1.ProfilesService/DeleteDataSubject": "jwt_or_private_key",
  "/shared.profiles.v1.ProfilesService/GetDeletionRequest": "jwt_or_private_key",

  "/shared.activity.v1.ActivityService/GetActivityFeed": "jwt_or_private_key",
  "/shared.activity.v1.ActivityService/GetEventExplorer": "jwt_or_private_key",
  "/shared.activity.v1.ActivityService/GetFilterSchema": "jwt_or_private_key",
  "/shared.activity.v1.ActivityService/GetPropertyValues": "jwt_or_private_key",
  "/shared.activity.v1.ActivityService/GetActivityHeatmap": "jwt_or_private_key",
  "/shared.activity.v1.ActivityService/GetProfileStats": "jwt_or_private_key",

  "/shared.insights.v1.InsightsService/Query": "jwt_or_private_key",
  "/shared.insights.v1.InsightsService/SegmentUsers": "jwt_or_private_key",
  "/shared.insights.v1.InsightsService/GetFilterSchema": "jwt_or_private_key",
  "/shared.insights.v1.InsightsService/GetPropertyValues": "jwt_or_private_key",
};

export function procedurePath(service: DescService, method: { name: string }): string {
  return `/${service.typeName}/${method.name}`;
}

/** The rule for a procedure, undefined when the table has none. */
export function accessOf(procedure: string): Access | undefined {
  return Object.hasOwn(table, procedure) ? table[procedure] : undefined;
}

/** Procedures of `services` the table says nothing about (so nobody may call them). */
export function proceduresWithoutRule(services: DescService[]): string[] {
  return services.flatMap((service) => service.methods.map((method) => procedurePath(service, method))).filter((path) => !accessOf(path));
}
