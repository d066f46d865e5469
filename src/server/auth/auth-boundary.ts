// The one place credentials are checked: a Connect interceptor that looks the procedure up in the access table,
// checks what the request presents against it (API key, dashboard token, project or org membership and role) and
// puts the caller in the call's context. A dashboard token issued before the person's sessions were ended (a
// password change) is refused, read with the membership (or on its own for calls that need none).

import { create } from "@bufbuild/protobuf";
import type { Interceptor, UnaryRequest, StreamRequest } from "@connectrpc/connect";
import { AccessTokenRefused, verifyAccessToken } from "../../domain/auth/access-token.ts";
import { type Role, roleAtLeast } from "../../domain/auth/roles.ts";
import { apiKeyKind } from "../../domain/api-keys.ts";
import { isUuid } from "../../domain/uuid.ts";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_info_pb.ts";
import type { Memberships } from "../../store/memberships.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { ApiKeyStore } from "../sdk/api-key-store.ts";
import { type Caller, callerKey, type SignedIn, signedInKey } from "./caller.ts";
import { type Rule, procedurePath, ruleOf } from "./procedure-access.ts";

export interface AuthBoundaryDeps {
  keys: ApiKeyStore;
  memberships: Memberships;
  /** PUG_JWT_SECRET_KEY; undefined turns dashboard sign-in off. */
  jwtSecret: string | undefined;
  /** PUG_JWT_SECRET_KEY_PREVIOUS: tokens it signed are still accepted while the secret is rotated. */
  jwtPreviousSecret?: string | undefined;
}

export function authBoundary(deps: AuthBoundaryDeps): Interceptor {
  return (next) =>
    async function authenticateCall(req) {
      const procedure = procedurePath(req.service, req.method);
      const rule = ruleOf(procedure);
      if (!rule) throw new ConnectError(`${procedure} has no access rule`, Code.PermissionDenied);
      await admit(rule, req, deps);
      return await next(req);
    };
}

async function admit(rule: Rule, req: UnaryRequest | StreamRequest, deps: AuthBoundaryDeps): Promise<void> {
  if (rule.access === "public") return;
  const bearer = /^bearer\s+(.+)$/i.exec(req.header.get("authorization")?.trim() ?? "")?.[1];
  if (rule.access === "sdk_key" || (rule.access === "project_or_private_key" && !bearer)) {
    req.contextValues.set(callerKey, await keyCaller(rule.access, req.header, req.url, deps.keys));
    return;
  }
  if (!bearer) throw new ConnectError("missing credentials: send the dashboard token as 'authorization: Bearer …'", Code.Unauthenticated);
  const { issuedAt, ...person } = await signedIn(bearer, deps.jwtSecret, deps.jwtPreviousSecret);
  const { customerId } = person;

  if (rule.access === "signed_in") {
    demandLiveSession(issuedAt, await lookup(() => deps.memberships.sessionsValidAfter(customerId)));
    req.contextValues.set(signedInKey, person);
  } else if (rule.access === "org") {
    const orgId = (req.stream ? undefined : (req.message as { orgId?: unknown }).orgId) ?? "";
    if (typeof orgId !== "string" || !isUuid(orgId)) throw new ConnectError("org_id: must be the UUID of an org", Code.InvalidArgument);
    const membership = await lookup(() => deps.memberships.roleInOrg(customerId, orgId));
    if (!membership) throw refusal("you are not a member of this org", "ORG_NOT_A_MEMBER");
    demandLiveSession(issuedAt, membership.sessionsValidAfter);
    const { role } = membership;
    demandRole(role, rule.role);
    req.contextValues.set(signedInKey, { ...person, org: { orgId, role } });
  } else {
    const projectId = req.header.get("x-project-id")?.trim();
    if (!projectId) throw new ConnectError("missing x-project-id header: name the project this call is for", Code.Unauthenticated);
    if (!isUuid(projectId)) throw new ConnectError("x-project-id: must be a project's UUID", Code.Unauthenticated);
    const membership = await lookup(() => deps.memberships.roleInProject(customerId, projectId));
    // Not told apart from a project that does not exist: a stranger learns nothing about other orgs' projects.
    if (!membership) throw new ConnectError("no such project among your orgs' projects", Code.Unauthenticated);
    demandLiveSession(issuedAt, membership.sessionsValidAfter);
    const { role } = membership;
    demandRole(role, rule.role);
    req.contextValues.set(signedInKey, person);
    req.contextValues.set(callerKey, { projectId, credential: "dashboard_jwt", customerId, role } satisfies Caller);
  }
}

async function signedIn(bearer: string, secret: string | undefined, previousSecret: string | undefined): Promise<SignedIn & { issuedAt: number }> {
  if (!secret) throw new ConnectError("dashboard sign-in is off on this server: PUG_JWT_SECRET_KEY is not set", Code.Unauthenticated);
  try {
    const { customerId, sessionId, issuedAt } = await verifyAccessToken(secret, bearer, previousSecret);
    return sessionId === undefined ? { customerId, issuedAt } : { customerId, sessionId, issuedAt };
  } catch (error) {
    if (error instanceof AccessTokenRefused) throw new ConnectError(error.message, Code.Unauthenticated);
    throw error;
  }
}

/** Refuses a token issued (Unix seconds) before the person's sessions were ended. The dashboard then refreshes
 * once: the session that ended the others kept its refresh family, so it carries on with a new token. */
function demandLiveSession(issuedAt: number, sessionsValidAfter: Date | null | undefined): void {
  if (sessionsValidAfter && issuedAt * 1000 < sessionsValidAfter.getTime()) {
    throw new ConnectError("this session was ended (password changed); sign in again", Code.Unauthenticated);
  }
}

function demandRole(role: Role, needed: Role): void {
  if (!roleAtLeast(role, needed)) throw roleRefusal(`this needs the ${needed} role in the org; you are ${role === "admin" ? "an" : "a"} ${role}`);
}

/** permission_denied with the contract's ErrorInfo reason, for a role found too low (here, or re-checked later). */
export function roleRefusal(message: string): ConnectError {
  return refusal(message, "ORG_ROLE_FORBIDDEN");
}

function refusal(message: string, reason: "ORG_NOT_A_MEMBER" | "ORG_ROLE_FORBIDDEN"): ConnectError {
  return new ConnectError(message, Code.PermissionDenied, undefined, [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: "pug" }) }]);
}

async function lookup<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new ConnectError("cannot check your membership right now (database unavailable); retry", Code.Unavailable, undefined, undefined, error);
  }
}

/**
 * The project caller an API key makes (x-api-key, or for `sdk_key` a public key in the `api_key` query parameter of
 * `url`). Also called by the fast path of binary BatchCreate (batch-create-fast.ts), which answers without Connect.
 */
export async function keyCaller(access: "sdk_key" | "project_or_private_key", header: Headers, url: string, keys: ApiKeyStore): Promise<Caller> {
  let key = header.get("x-api-key")?.trim();
  // sendBeacon cannot set headers: SDK calls may carry their public key in the URL (a URL ends up in logs).
  if (!key && access === "sdk_key") {
    const fromUrl = new URL(url).searchParams.get("api_key")?.trim();
    if (fromUrl && !fromUrl.startsWith("pub_")) {
      throw new ConnectError("api_key query parameter: only public keys (pub_…) may be sent in a URL; send private keys in the x-api-key header", Code.Unauthenticated);
    }
    key = fromUrl;
  }
  if (!key) {
    const missing = access === "sdk_key" ? "missing API key: send it in the x-api-key header" : "missing credentials: send a private API key (prv_…) in x-api-key, or a dashboard token as 'authorization: Bearer …'";
    throw new ConnectError(missing, Code.Unauthenticated);
  }
  const kind = apiKeyKind(key);
  if (!kind) throw new ConnectError("malformed API key: expected pub_ or prv_ followed by 32 hex digits", Code.Unauthenticated);
  if (access === "project_or_private_key" && kind === "public") {
    throw new ConnectError("a public key (pub_…) may only send events; this service takes a private key (prv_…) in x-api-key", Code.PermissionDenied);
  }
  let owner;
  try {
    owner = await keys.lookup(key);
  } catch (error) {
    throw new ConnectError("cannot check API keys right now (database unavailable); retry", Code.Unavailable, undefined, undefined, error);
  }
  if (!owner) throw new ConnectError("unknown or revoked API key", Code.Unauthenticated);
  // A private key answers for its own project only; a header naming another one is a mistake worth hearing about.
  const named = header.get("x-project-id")?.trim();
  if (access === "project_or_private_key" && named && named.toLowerCase() !== owner.projectId) {
    throw new ConnectError("x-project-id names another project than the API key's; a private key answers only for its own project", Code.Unauthenticated);
  }
  return { projectId: owner.projectId, credential: owner.kind === "public" ? "public_key" : "private_key" };
}
