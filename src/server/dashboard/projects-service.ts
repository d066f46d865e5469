// dashboard.projects.v1.ProjectsService: an org's projects (BatchGet, Create name the org) and, for the project in
// x-project-id, its settings and API keys. The auth boundary has checked the caller's role; a key id is looked up
// within the caller's project only, so another project's ids are not found.
//
// Push notifications are not part of this server: UpdateFCMServiceJSON accepts only an empty value (clearing
// what is not there) and refuses anything else with failed_precondition, so nobody believes pushes will go out.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ApiKeyKind as StoredKind } from "../../domain/api-keys.ts";
import { DISPLAY_NAME_MAX, displayName } from "../../domain/display-name.ts";
import { FieldError } from "../../domain/field-error.ts";
import { reportingTimeZone } from "../../domain/time-zone.ts";
import { isUuid } from "../../domain/uuid.ts";
import { ApiKeyKind, type ApiKeySchema, type ProjectSchema, ProjectsService } from "../../gen/dashboard/projects/v1/projects_pb.ts";
import { type ApiKey, createApiKey, liveApiKeys, revokeApiKeyById } from "../../store/api-keys.ts";
import { insertProject, liveProject, liveProjectsOf, type Project, softDeleteProject, updateProject } from "../../store/projects.ts";
import { callerOf, orgOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";

const RETENTION_DAYS_MAX = 36_500;

export function projectsService(deps: DashboardDeps): ServiceImpl<typeof ProjectsService> {
  const { sql } = deps;

  return {
    async batchGet(_, ctx) {
      const { orgId } = orgOf(ctx);
      return { projects: (await liveProjectsOf(sql, orgId)).map(projectMessage) };
    },

    async create(request, ctx) {
      const { orgId } = orgOf(ctx);
      const project = await insertProject(sql, {
        orgId,
        name: displayName(request.displayName, "display_name"),
        reportingTimezone: request.reportingTimezone === "" ? "UTC" : reportingTimeZone(request.reportingTimezone, "reporting_timezone"),
        retentionDays: retentionDays(request.retentionDays),
      });
      return { project: projectMessage(project) };
    },

    async get(_, ctx) {
      return { project: projectMessage(found(await liveProject(sql, callerOf(ctx).projectId))) };
    },

    async delete(_, ctx) {
      const { projectId } = callerOf(ctx);
      if (!(await softDeleteProject(sql, projectId))) throw gone();
      deps.projects.forget(projectId);
      return {};
    },

    async updateMeta(request, ctx) {
      const { projectId } = callerOf(ctx);
      const project = await updateProject(sql, projectId, {
        name: request.displayName === undefined ? undefined : displayName(request.displayName, "display_name"),
        reportingTimezone: request.reportingTimezone === undefined ? undefined : reportingTimeZone(request.reportingTimezone, "reporting_timezone"),
        retentionDays: retentionDays(request.retentionDays),
      });
      deps.projects.forget(projectId);
      return { project: projectMessage(found(project)) };
    },

    async updateFCMServiceJSON(request) {
      if (request.fcmServiceJson.trim() !== "") throw new ConnectError("push notifications are not part of this server; fcm_service_json can only be empty", Code.FailedPrecondition);
      return {};
    },

    async listApiKeys(_, ctx) {
      return { apiKeys: (await liveApiKeys(sql, callerOf(ctx).projectId)).map(apiKeyMessage) };
    },

    async createApiKey(request, ctx) {
      const { projectId } = callerOf(ctx);
      const label = request.displayName.trim();
      if (label.length > DISPLAY_NAME_MAX) throw new FieldError("display_name", `at most ${DISPLAY_NAME_MAX} characters, got ${label.length}`);
      const { apiKey, key } = await createApiKey(sql, projectId, keyKind(request.kind), label);
      return { apiKey: apiKeyMessage(apiKey), key };
    },

    async deleteApiKey(request, ctx) {
      const { projectId } = callerOf(ctx);
      if (request.id === "") throw new FieldError("id", "required");
      if (!isUuid(request.id) || !(await revokeApiKeyById(sql, projectId, request.id.toLowerCase()))) {
        throw new ConnectError("no such API key in this project", Code.NotFound);
      }
      return {};
    },
  };
}

function retentionDays(days: number | undefined): number | undefined {
  if (days !== undefined && (days < 0 || days > RETENTION_DAYS_MAX)) {
    throw new FieldError("retention_days", `0 (keep events for ever) to ${RETENTION_DAYS_MAX} days, got ${days}`);
  }
  return days;
}

const kinds: Record<ApiKeyKind, StoredKind | undefined> = { [ApiKeyKind.UNSPECIFIED]: undefined, [ApiKeyKind.PUBLIC]: "public", [ApiKeyKind.PRIVATE]: "private" };

function keyKind(kind: ApiKeyKind): StoredKind {
  const stored = kinds[kind];
  if (!stored) throw new FieldError("kind", "required: API_KEY_KIND_PUBLIC (for web pages; sends events only) or API_KEY_KIND_PRIVATE (for servers)");
  return stored;
}

/** The caller's project, admitted by the boundary; gone only if deleted meanwhile. */
function found(project: Project | undefined): Project {
  if (!project) throw gone();
  return project;
}

const gone = () => new ConnectError("no such project (deleted meanwhile?)", Code.NotFound);

function projectMessage(project: Project): MessageInitShape<typeof ProjectSchema> {
  return {
    id: project.id,
    orgId: project.orgId,
    displayName: project.name,
    reportingTimezone: project.reportingTimezone,
    retentionDays: project.retentionDays,
    fcmServiceJson: "",
  };
}

function apiKeyMessage(key: ApiKey): MessageInitShape<typeof ApiKeySchema> {
  return {
    id: key.id,
    kind: key.kind === "public" ? ApiKeyKind.PUBLIC : ApiKeyKind.PRIVATE,
    displayName: key.label,
    key: key.publicKey ?? "",
    masked: key.hint,
    createTime: timestampFromDate(key.createdAt),
  };
}
