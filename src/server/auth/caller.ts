// The caller as the auth boundary established it, handed to services through the call's context values.

import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Role } from "../../domain/auth/roles.ts";
import { Code, ConnectError } from "../connect-errors.ts";

export type Credential = "public_key" | "private_key" | "dashboard_jwt";

/** A call bound to one project: by an API key, or by a signed-in person through x-project-id. */
export interface Caller {
  /** Every read and write of the call is confined to this project. */
  projectId: string;
  credential: Credential;
  /** Set for dashboard_jwt: who, and their role in the project's org. */
  customerId?: string;
  role?: Role;
}

/** A signed-in person (dashboard token); `org` is set for calls the table scopes to an org. */
export interface SignedIn {
  customerId: string;
  /** The refresh-token family of the session the token came from (its `sid`); absent in older tokens. */
  sessionId?: string;
  org?: { orgId: string; role: Role };
}

export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "the authenticated project caller" });
export const signedInKey = createContextKey<SignedIn | undefined>(undefined, { description: "the signed-in person" });

// Only reachable if a service is mounted without the boundary, or under the wrong rule: a wiring bug, never the
// client's fault.
const wiringBug = (what: string) => new ConnectError(`no ${what} in context (service mounted without the auth boundary, or under the wrong rule)`, Code.Internal);

/** The project caller of a procedure the table binds to a project. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw wiringBug("authenticated caller");
  return caller;
}

/** The signed-in person of a procedure the table marks signed_in, org or project. */
export function signedInOf(ctx: HandlerContext): SignedIn {
  const person = ctx.values.get(signedInKey);
  if (!person) throw wiringBug("signed-in person");
  return person;
}

/** The org and role of a procedure the table scopes to an org. */
export function orgOf(ctx: HandlerContext): { customerId: string; orgId: string; role: Role } {
  const person = signedInOf(ctx);
  if (!person.org) throw wiringBug("org membership");
  return { customerId: person.customerId, ...person.org };
}
