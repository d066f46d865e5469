// The caller as the auth boundary established it, handed to services through the call's context values.

import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "../connect-errors.ts";

export type Credential = "public_key" | "private_key" | "dashboard_jwt";

export interface Caller {
  /** Every read and write of the call is confined to this project. */
  projectId: string;
  credential: Credential;
}

export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "the authenticated caller" });

/** The caller of a procedure the table does not mark public. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  // Only reachable if a service is mounted without the boundary: a wiring bug, never the client's fault.
  if (!caller) throw new ConnectError("no authenticated caller in context (service mounted without the auth boundary)", Code.Internal);
  return caller;
}
