// dashboard.orgs.v1.OrgsService: the caller's orgs, their members and invitations (invitation-rpcs.ts). The auth
// boundary has checked the caller's membership and role in the request's org_id; ids of members and
// invitations are looked up within that org only, so another org's ids are not found.

import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type Role, roleFromProto, roleToProto } from "../../domain/auth/roles.ts";
import { displayName } from "../../domain/display-name.ts";
import { FieldError } from "../../domain/field-error.ts";
import type { MemberChange } from "../../domain/orgs/last-admin.ts";
import { isUuid } from "../../domain/uuid.ts";
import { type OrgMemberSchema, type OrgRole, type OrgSchema, OrgsService } from "../../gen/dashboard/orgs/v1/orgs_pb.ts";
import { changeMember, createOrg, getOrg, membersOf, type Org, type OrgMember, orgsOf, renameOrg } from "../../store/orgs.ts";
import { roleRefusal } from "../auth/auth-boundary.ts";
import { orgOf, signedInOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { inviteMember, listInvitations, resendInvite, revokeInvite } from "./invitation-rpcs.ts";

export function orgsService(deps: DashboardDeps): ServiceImpl<typeof OrgsService> {
  const { sql } = deps;

  /** Applies a member change, answering not_found for someone not in the org and failed_precondition for the last admin. */
  const change = async (by: { orgId: string; customerId: string }, customerId: string, what: MemberChange): Promise<OrgMember | undefined> => {
    const result = await changeMember(sql, by.orgId, by.customerId, customerId, what);
    if (result.outcome === "no_longer_admin") throw roleRefusal("you are no longer an admin of this org");
    if (result.outcome === "not_found") throw new ConnectError("no such member in this org", Code.NotFound);
    if (result.outcome === "refused") throw new ConnectError(result.reason, Code.FailedPrecondition);
    return result.member;
  };

  return {
    async list(_, ctx) {
      const { customerId } = signedInOf(ctx);
      return { orgs: (await orgsOf(sql, customerId)).map((org) => orgMessage(org, org.role)) };
    },

    async create(request, ctx) {
      const { customerId } = signedInOf(ctx);
      const org = await createOrg(sql, customerId, displayName(request.displayName, "display_name"));
      return { org: orgMessage(org, "admin") };
    },

    async get(_, ctx) {
      const { orgId, role } = orgOf(ctx);
      return { org: orgMessage(found(await getOrg(sql, orgId)), role) };
    },

    async updateDisplayName(request, ctx) {
      const { orgId, role } = orgOf(ctx);
      const name = displayName(request.displayName, "display_name");
      return { org: orgMessage(found(await renameOrg(sql, orgId, name)), role) };
    },

    async listMembers(_, ctx) {
      const { orgId } = orgOf(ctx);
      return { members: (await membersOf(sql, orgId)).map(memberMessage) };
    },

    async removeMember(request, ctx) {
      await change(orgOf(ctx), customerIdOf(request.customerId), { kind: "remove" });
      return {};
    },

    async leave(_, ctx) {
      const by = orgOf(ctx);
      await change(by, by.customerId, { kind: "leave" });
      return {};
    },

    async updateMemberRole(request, ctx) {
      const member = await change(orgOf(ctx), customerIdOf(request.customerId), { kind: "role", role: requiredRole(request.role) });
      return { member: memberMessage(member!) };
    },

    inviteMember: (request, ctx) => inviteMember(deps, orgOf(ctx), request.email, requiredRole(request.role)),
    resendInvite: (request, ctx) => resendInvite(deps, orgOf(ctx), request.invitationId),
    revokeInvite: (request, ctx) => revokeInvite(deps, orgOf(ctx), request.invitationId),
    listInvitations: (_, ctx) => listInvitations(deps, orgOf(ctx)),
  };
}

/** The role a request asks for; UNSPECIFIED (or a number we do not know) is refused. */
export function requiredRole(role: OrgRole): Role {
  const stored = roleFromProto(role);
  if (!stored) throw new FieldError("role", "required: ORG_ROLE_ADMIN, ORG_ROLE_MEMBER or ORG_ROLE_VIEWER");
  return stored;
}

function customerIdOf(value: string): string {
  if (value === "") throw new FieldError("customer_id", "required");
  if (!isUuid(value)) throw new FieldError("customer_id", "not a customer id (a UUID)");
  return value.toLowerCase();
}

/** The org the boundary admitted the caller to; gone only if deleted meanwhile. */
function found(org: Org | undefined): Org {
  if (!org) throw new ConnectError("no such org", Code.NotFound);
  return org;
}

function orgMessage(org: Org, role: Role): MessageInitShape<typeof OrgSchema> {
  return { id: org.id, displayName: org.name, role: roleToProto(role) };
}

function memberMessage(member: OrgMember): MessageInitShape<typeof OrgMemberSchema> {
  return { customerId: member.customerId, orgId: member.orgId, email: member.email, displayName: member.displayName, role: roleToProto(member.role) };
}
