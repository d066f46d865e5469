import { describe, expect, test } from "bun:test";
import { servedServices } from "../served-services.ts";
import { accessOf, allRules, procedurePath, proceduresWithoutRule, ruleOf } from "./procedure-access.ts";

const everyService = [...servedServices];

describe("procedure access table", () => {
  test("every procedure of every service has a rule, and the table names no procedure that does not exist", () => {
    expect(proceduresWithoutRule(everyService)).toEqual([]);
    const known = new Set(everyService.flatMap((s) => s.methods.map((m) => procedurePath(s, m))));
    expect(allRules().map(([path]) => path).filter((path) => !known.has(path))).toEqual([]);
  });

  test("SDK services take SDK keys; shared services a dashboard token or a private key; sign-in is public", () => {
    expect(accessOf("/sdk.events.v1.EventsService/BatchCreate")).toBe("sdk_key");
    expect(ruleOf("/shared.profiles.v1.ProfilesService/Delete")).toEqual({ access: "project_or_private_key", role: "member" });
    expect(ruleOf("/shared.activity.v1.ActivityService/GetProfileStats")).toEqual({ access: "project_or_private_key", role: "viewer" });
    expect(accessOf("/public.auth.v1.AuthService/RequestMagicLink")).toBe("public");
    expect(ruleOf("/dashboard.projects.v1.ProjectsService/CreateApiKey")).toEqual({ access: "project", role: "admin" });
  });

  test("viewers only read: every rule a viewer passes is a read", () => {
    const viewerWrites = allRules()
      .filter(([, rule]) => "role" in rule && rule.role === "viewer")
      .map(([path]) => path.split("/")[2]!)
      .filter((method) => !/^(Get|List|BatchGet|Query|QueryDashboard|SegmentUsers|GetFilterSchema|GetPropertyValues|GetActivityFeed|GetEventExplorer|GetActivityHeatmap|GetProfileStats|GetDeletionRequest|GetByExternalId|ListMembers|GetUsage|Leave)$/.test(method));
    expect(viewerWrites).toEqual([]);
  });

  test("an unknown procedure, or an inherited property name, has no rule", () => {
    expect(accessOf("/shared.profiles.v1.ProfilesService/Nope")).toBeUndefined();
    expect(accessOf("constructor")).toBeUndefined();
    expect(accessOf("__proto__")).toBeUndefined();
  });
});
