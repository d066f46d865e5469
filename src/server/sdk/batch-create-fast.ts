// The fast path of the SDK's most frequent request: a binary BatchCreate (application/proto, body not compressed),
// answered in straight-line code. Through Hono's middleware chain and Connect's handler, such a request cost more
// than intake itself (abort signals, async iterables, header copies, URL parsing, streamed responses). It makes the
// same checks in the same order as that path (sdk-routes.ts) with the same pieces, and answers with the same bytes
// (test/ingest/fast-intake.test.ts); an error nobody expected is answered `internal error` as Connect answers it,
// and logged. A request with `connect-timeout-ms` (a deadline only Connect's handler enforces) or a
// `connect-protocol-version` other than 1 goes the usual way, as does every other request.

import { create, toBinary } from "@bufbuild/protobuf";
import type { Server } from "bun";
import type { App } from "../../app/app.ts";
import { clientIp, trustedProxies } from "../../domain/ingest/client-ip.ts";
import { BatchCreateResponseSchema, EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import { keyCaller } from "../auth/auth-boundary.ts";
import { procedurePath, ruleOf } from "../auth/procedure-access.ts";
import { ConnectError, connectErrorResponse } from "../connect-errors.ts";
import { recordRequest } from "../http-metrics.ts";
import { requestFailure } from "../request-failure.ts";
import type { ApiKeyStore } from "./api-key-store.ts";
import { limitedBody } from "./body-limit.ts";
import { type IntakeDeps, intakeEvents } from "./events-intake.ts";
import { ipRateRefusal } from "./rate-limiter.ts";
import { sdkCorsHeaders } from "./sdk-cors.ts";

export const BATCH_CREATE_PATH = procedurePath(EventsService, EventsService.method.batchCreate);

export type Route = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

/** `usual`: the Hono app, for the requests this path does not take. */
export function batchCreateFast(app: App, deps: IntakeDeps, keys: ApiKeyStore, usual: Route): Route {
  const { intake } = app.config;
  const access = ruleOf(BATCH_CREATE_PATH)?.access;
  if (access !== "sdk_key") throw new Error(`${BATCH_CREATE_PATH}: the fast path checks an SDK key, but the access table says ${access}`);
  const trusted = trustedProxies(intake.trustedProxies);

  /** The reply's bytes, or the refusal to answer with. */
  const accept = async (request: Request, server: Server<undefined>): Promise<Uint8Array | Response> => {
    const ip = clientIp(server.requestIP(request)?.address ?? "", request.headers.get("x-forwarded-for"), trusted);
    const refusal = await ipRateRefusal(deps.limiter, ip, intake.ipRequestsPerSecond);
    if (refusal) return connectErrorResponse(refusal);
    const body = await limitedBody(request, intake);
    if (body instanceof Response) return body;
    const caller = await keyCaller(access, request.headers, request.url, keys);
    const outcome = await intakeEvents(deps, { caller, clientIp: ip, userAgent: request.headers.get("user-agent") ?? "", request: { body } });
    return toBinary(BatchCreateResponseSchema, create(BatchCreateResponseSchema, outcome));
  };

  return async function serveBatchCreate(request, server) {
    if (!takesFastPath(request.headers)) return usual(request, server);
    const started = performance.now();
    app.metrics.intakeFastPath.inc();
    const cors = sdkCorsHeaders(request.headers.get("origin"));
    const answered = (response: Response) => {
      recordRequest(app.metrics, "POST", BATCH_CREATE_PATH, response.status, started);
      return response;
    };
    let refusal: Response;
    try {
      const result = await accept(request, server);
      if (!(result instanceof Response)) return answered(new Response(result, { headers: { "content-type": "application/proto", ...cors } }));
      refusal = result;
    } catch (error) {
      refusal = error instanceof ConnectError ? connectErrorResponse(error) : requestFailure(app, BATCH_CREATE_PATH, "POST", error);
    }
    for (const name in cors) refusal.headers.set(name, cors[name]!);
    return answered(refusal);
  };
}

/** A Connect unary binary request whose body is not compressed and whose Connect headers ask for nothing unusual. */
function takesFastPath(headers: Headers): boolean {
  const type = headers.get("content-type");
  if (type !== "application/proto" && type?.toLowerCase() !== "application/proto") return false;
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") return false;
  const version = headers.get("connect-protocol-version");
  return (version === null || version === "1") && !headers.has("connect-timeout-ms");
}
