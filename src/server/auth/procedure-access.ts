// Who may call what: one entry for every procedure the server answers. The auth boundary (auth-boundary.ts)
// enforces it before any handler runs, so services never look at credentials themselves. A procedure missing
// from the table is refused, whoever calls it.

import type { DescService } from "@bufbuild/protobuf";
import type { Role } from "../../domain/auth/roles.ts";

/**
 * - `public`: anyone.
 * - `sdk_key`: a public (`pub_`) or private (`prv_`) API key of the project the call is for.
 * - `signed_in`: a dashboard token (JWT); the call concerns the person themself (their orgs, their password).
 * - `org`: a dashboard token whose person has at least `role` in the org named by the request's `org_id`.
 * - `project`: a dashboard token and `x-project-id`, the person having at least `role` in that project's org.
 * - `project_or_private_key`: as `project`, or a private key, which binds the call to its own project and
 *   skips role checks.
 */
export type Rule =
  | { access: "public" }
  | { access: "sdk_key" }
  | { access: "signed_in" }
  | { access: "org"; role: Role }
  | { access: "project"; role: Role }
  | { access: "project_or_private_key"; role: Role };

export type Access = Rule["access"];

const PUBLIC: Rule = { access: "public" };
const SDK: Rule = { access: "sdk_key" };
const SIGNED_IN: Rule = { access: "signed_in" };
const org = (role: Role): Rule => ({ access: "org", role });
const project = (role: Role): Rule => ({ access: "project", role });
const projectOrKey = (role: Role): Rule => ({ access: "project_or_private_key", role });

const table: Record<string, Rule> = {
  "/sdk.events.v1.EventsService/BatchCreate": SDK,
  "/sdk.profiles.v1.ProfilesSDKService/Identify": SDK,

  "/public.auth.v1.AuthService/GetAuthConfig": PUBLIC,
  "/public.auth.v1.AuthService/SignInWithEmail": PUBLIC,
  "/public.auth.v1.AuthService/RequestMagicLink": PUBLIC,
  "/public.auth.v1.AuthService/CompleteMagicLink": PUBLIC,
  "/public.auth.v1.AuthService/CompleteOIDCSignIn": PUBLIC,
  "/public.auth.v1.AuthService/RefreshSession": PUBLIC,
  "/public.auth.v1.AuthService/SignOut": PUBLIC,
  "/public.auth.v1.AuthService/DemoSignIn": PUBLIC,
  "/public.dashboards.v1.SharedDashboardsService/Query": PUBLIC,

  "/dashboard.customers.v1.CustomersService/GetMe": SIGNED_IN,
  "/dashboard.customers.v1.CustomersService/SetPassword": SIGNED_IN,

  "/dashboard.orgs.v1.OrgsService/List": SIGNED_IN,
  "/dashboard.orgs.v1.OrgsService/Create": SIGNED_IN,
  "/dashboard.orgs.v1.OrgsService/Get": org("viewer"),
  "/dashboard.orgs.v1.OrgsService/ListMembers": org("viewer"),
  "/dashboard.orgs.v1.OrgsService/Leave": org("viewer"),
  "/dashboard.orgs.v1.OrgsService/ListInvitations": org("member"),
  "/dashboard.orgs.v1.OrgsService/UpdateDisplayName": org("admin"),
  "/dashboard.orgs.v1.OrgsService/RemoveMember": org("admin"),
  "/dashboard.orgs.v1.OrgsService/InviteMember": org("admin"),
  "/dashboard.orgs.v1.OrgsService/ResendInvite": org("admin"),
  "/dashboard.orgs.v1.OrgsService/RevokeInvite": org("admin"),
  "/dashboard.orgs.v1.OrgsService/UpdateMemberRole": org("admin"),

  "/dashboard.projects.v1.ProjectsService/BatchGet": org("viewer"),
  "/dashboard.projects.v1.ProjectsService/Create": org("admin"),
  "/dashboard.projects.v1.ProjectsService/Get": project("viewer"),
  "/dashboard.projects.v1.ProjectsService/Delete": project("admin"),
  "/dashboard.projects.v1.ProjectsService/UpdateMeta": project("admin"),
  "/dashboard.projects.v1.ProjectsService/UpdateFCMServiceJSON": project("admin"),
  "/dashboard.projects.v1.ProjectsService/ListApiKeys": project("admin"),
  "/dashboard.projects.v1.ProjectsService/CreateApiKey": project("admin"),
  "/dashboard.projects.v1.ProjectsService/DeleteApiKey": project("admin"),

  "/dashboard.dashboards.v1.DashboardsService/Get": project("viewer"),
  "/dashboard.dashboards.v1.DashboardsService/List": project("viewer"),
  "/dashboard.dashboards.v1.DashboardsService/QueryDashboard": project("viewer"),
  "/dashboard.dashboards.v1.DashboardsService/Create": project("member"),
  "/dashboard.dashboards.v1.DashboardsService/Update": project("member"),
  "/dashboard.dashboards.v1.DashboardsService/Upsert": project("member"),
  "/dashboard.dashboards.v1.DashboardsService/Delete": project("member"),

  "/dashboard.usage.v1.UsageService/GetUsage": org("viewer"),

  "/shared.profiles.v1.ProfilesService/Get": projectOrKey("viewer"),
  "/shared.profiles.v1.ProfilesService/GetByExternalId": projectOrKey("viewer"),
  "/shared.profiles.v1.ProfilesService/List": projectOrKey("viewer"),
  "/shared.profiles.v1.ProfilesService/GetDeletionRequest": projectOrKey("viewer"),
  "/shared.profiles.v1.ProfilesService/Delete": projectOrKey("member"),
  "/shared.profiles.v1.ProfilesService/DeleteDataSubject": projectOrKey("member"),

  "/shared.activity.v1.ActivityService/GetActivityFeed": projectOrKey("viewer"),
  "/shared.activity.v1.ActivityService/GetEventExplorer": projectOrKey("viewer"),
  "/shared.activity.v1.ActivityService/GetFilterSchema": projectOrKey("viewer"),
  "/shared.activity.v1.ActivityService/GetPropertyValues": projectOrKey("viewer"),
  "/shared.activity.v1.ActivityService/GetActivityHeatmap": projectOrKey("viewer"),
  "/shared.activity.v1.ActivityService/GetProfileStats": projectOrKey("viewer"),

  "/shared.insights.v1.InsightsService/Query": projectOrKey("viewer"),
  "/shared.insights.v1.InsightsService/SegmentUsers": projectOrKey("viewer"),
  "/shared.insights.v1.InsightsService/GetFilterSchema": projectOrKey("viewer"),
  "/shared.insights.v1.InsightsService/GetPropertyValues": projectOrKey("viewer"),
};

export function procedurePath(service: DescService, method: { name: string }): string {
  return `/${service.typeName}/${method.name}`;
}

/** The rule for a procedure, undefined when the table has none. */
export function ruleOf(procedure: string): Rule | undefined {
  return Object.hasOwn(table, procedure) ? table[procedure] : undefined;
}

/** The access kind of a procedure, undefined when the table has none. */
export function accessOf(procedure: string): Access | undefined {
  return ruleOf(procedure)?.access;
}

/** Every procedure in the table, with its rule (for the table-driven tests). */
export function allRules(): [string, Rule][] {
  return Object.entries(table);
}

/** Procedures of `services` the table says nothing about (so nobody may call them). */
export function proceduresWithoutRule(services: DescService[]): string[] {
  return services.flatMap((service) => service.methods.map((method) => procedurePath(service, method))).filter((path) => !accessOf(path));
}
