import { describe, expect, test } from "bun:test";
import { ActivityService } from "../../gen/shared/activity/v1/activity_pb.ts";
import { InsightsService } from "../../gen/shared/insights/v1/insights_pb.ts";
import { ProfilesService } from "../../gen/shared/profiles/v1/profiles_pb.ts";
import { EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import { ProfilesSDKService } from "../../gen/sdk/profiles/v1/profiles_pb.ts";
import { accessOf, proceduresWithoutRule } from "./procedure-access.ts";

describe("procedure access table", () => {
  test("every procedure of every service the server mounts has a rule", () => {
    expect(proceduresWithoutRule([EventsService, ProfilesSDKService, ProfilesService, ActivityService, InsightsService])).toEqual([]);
  });

  test("SDK services take SDK keys; shared services a dashboard token or a private key", () => {
    expect(accessOf("/sdk.events.v1.EventsService/BatchCreate")).toBe("sdk_key");
    expect(accessOf("/shared.profiles.v1.ProfilesService/Delete")).toBe("jwt_or_private_key");
    expect(accessOf("/shared.activity.v1.ActivityService/GetProfileStats")).toBe("jwt_or_private_key");
  });

  test("an unknown procedure, or an inherited property name, has no rule", () => {
    expect(accessOf("/shared.profiles.v1.ProfilesService/Nope")).toBeUndefined();
    expect(accessOf("constructor")).toBeUndefined();
    expect(accessOf("__proto__")).toBeUndefined();
  });
});
