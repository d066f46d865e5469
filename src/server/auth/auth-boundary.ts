// The one place credentials are checked: a Connect interceptor that looks the procedure up in the access table,
// checks what the request presents against it and puts the caller in the call's context.

import type { Interceptor } from "@connectrpc/connect";
import { apiKeyKind } from "../../domain/api-keys.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { ApiKeyStore } from "../sdk/api-key-store.ts";
import { type Caller, callerKey } from "./caller.ts";
import { type Access, accessOf, procedurePath } from "./procedure-access.ts";

export const JWT_NOT_YET = "dashboard sign-in arrives with the control plane; until then send a private API key (prv_…) in the x-api-key header";

export function authBoundary(keys: ApiKeyStore): Interceptor {
  return (next) =>
    async function authenticateCall(req) {
      const procedure = procedurePath(req.service, req.method);
      const access = accessOf(procedure);
      if (!access) throw new ConnectError(`${procedure} has no access rule`, Code.PermissionDenied);
      if (access !== "public") req.contextValues.set(callerKey, await callerFor(access, req.header, new URL(req.url), keys));
      return await next(req);
    };
}

async function callerFor(access: Exclude<Access, "public">, header: Headers, url: URL, keys: ApiKeyStore): Promise<Caller> {
  const bearer = /^bearer\s+(.+)$/i.exec(header.get("authorization")?.trim() ?? "")?.[1];
  if (access === "dashboard_jwt" || (access === "jwt_or_private_key" && bearer)) {
    if (!bearer) throw new ConnectError("missing credentials: send the dashboard token as 'authorization: Bearer …'", Code.Unauthenticated);
    throw new ConnectError(JWT_NOT_YET, Code.Unauthenticated);
  }

  let key = header.get("x-api-key")?.trim();
  // sendBeacon cannot set headers: SDK calls may carry their public key in the URL (a URL ends up in logs).
  if (!key && access === "sdk_key") {
    const fromUrl = url.searchParams.get("api_key")?.trim();
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
  if (access === "jwt_or_private_key" && kind === "public") {
    throw new ConnectError("a public key (pub_…) may only send events; this service takes a private key (prv_…) in x-api-key", Code.PermissionDenied);
  }
  let owner;
  try {
    owner = await keys.lookup(key);
  } catch (error) {
    throw new ConnectError("cannot check API keys right now (database unavailable); retry", Code.Unavailable, undefined, undefined, error);
  }
  if (!owner) throw new ConnectError("unknown or revoked API key", Code.Unauthenticated);
  return { projectId: owner.projectId, credential: owner.kind === "public" ? "public_key" : "private_key" };
}
