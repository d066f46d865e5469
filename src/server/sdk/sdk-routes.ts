// Mounts the SDK's Connect services on Hono: the client's IP, CORS, the per-IP rate limit and body limits first
// (cheapest refusals first), then the Connect handler with the client's IP and user agent as context values. A binary
// BatchCreate is answered before it gets here, by batch-create-fast.ts, which must keep making the same checks.

import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalServerRequest, type UniversalServerResponse, universalServerRequestFromFetch } from "@connectrpc/connect/protocol";
import { Hono } from "hono";
import { getConnInfo } from "hono/bun";
import type { App } from "../../app/app.ts";
import { clientIp, trustedProxies } from "../../domain/ingest/client-ip.ts";
import { EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import { ProfilesSDKService } from "../../gen/sdk/profiles/v1/profiles_pb.ts";
import { explainedConnectResponse } from "../connect-errors.ts";
import { authBoundary } from "../auth/auth-boundary.ts";
import { memberships } from "../../store/memberships.ts";
import type { ApiKeyStore } from "./api-key-store.ts";
import { bodyLimit, type BodyVariables } from "./body-limit.ts";
import type { IntakeDeps } from "./events-intake.ts";
import { eventsService } from "./events-service.ts";
import { clientIpKey, requestBodyKey, userAgentKey } from "../request-context.ts";
import { profilesSdkService } from "./profiles-sdk-service.ts";
import { ipRateLimit } from "./rate-limiter.ts";
import { sdkCors } from "./sdk-cors.ts";

type SdkVariables = { clientIp: string } & BodyVariables;

/** The SDK's routes, on the intake that `deps` runs (intake-deps.ts). */
export function sdkRoutes(app: App, deps: IntakeDeps, keys: ApiKeyStore): Hono<{ Variables: SdkVariables }> {
  const { intake } = app.config;
  const router = createConnectRouter({
    readMaxBytes: intake.maxDecodedBodyBytes,
    requireConnectProtocolHeader: false,
    // A field the server does not know is a client bug worth hearing about, not something to drop silently.
    jsonOptions: { ignoreUnknownFields: false },
    interceptors: [authBoundary({ keys, memberships: memberships(app.postgres()), jwtSecret: app.config.server.jwtSecret, jwtPreviousSecret: app.config.server.jwtPreviousSecret })],
  });
  router.service(EventsService, eventsService(deps));
  router.service(ProfilesSDKService, profilesSdkService(deps));

  const trusted = trustedProxies(intake.trustedProxies);
  const routes = new Hono<{ Variables: SdkVariables }>();
  for (const handler of router.handlers) {
    // The socket address is known only for the request Bun received, so read it before the body limit
    // replaces that request with a buffered copy.
    routes.use(handler.requestPath, async (c, next) => {
      c.set("clientIp", clientIp(getConnInfo(c).remote.address ?? "", c.req.header("x-forwarded-for") ?? null, trusted));
      await next();
    });
    routes.use(handler.requestPath, sdkCors(), ipRateLimit(deps.limiter, intake.ipRequestsPerSecond), bodyLimit(intake));
    const decodesOwnBody = handler.method === EventsService.method.batchCreate;
    routes.on(["POST", "GET"], handler.requestPath, async (c) => {
      const values = createContextValues().set(clientIpKey, c.get("clientIp")).set(userAgentKey, c.req.header("user-agent") ?? "");
      // Only a Connect binary body is a bare request message whose event bytes intake can forward as received.
      const binary = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() === "application/proto";
      if (binary) values.set(requestBodyKey, c.get("requestBody"));
      // The body limit already holds the whole body: hand it over as is rather than as a stream read again. A
      // binary BatchCreate body reaches Connect empty (Connect decodes with fromBinary and has no hook for another
      // decoder): intake (events-intake.ts) decodes it from `requestBodyKey` with event-decoder.ts, at a fraction of
      // the CPU. (Most binary BatchCreates never get here: batch-create-fast.ts answers them before Hono.)
      const undecoded = binary && decodesOwnBody;
      const body = undecoded ? new Uint8Array(0) : c.get("requestBody");
      const header = undecoded ? emptyBodyHeaders(c.req.raw.headers) : c.req.raw.headers;
      const request: UniversalServerRequest = body
        ? { httpVersion: "", method: c.req.method, url: c.req.url, header, body: createAsyncIterable([body]), signal: c.req.raw.signal }
        : universalServerRequestFromFetch(c.req.raw, {});
      request.contextValues = values;
      return explainedConnectResponse(await unaryResponse(await handler(request)), c.req.header("content-type"), "application/proto or application/json (Connect unary)");
    });
  }
  return routes;
}

/** `headers` for a body handed over empty: Connect checks a body's length against its content-length. */
function emptyBodyHeaders(headers: Headers): Headers {
  const copy = new Headers(headers);
  copy.set("content-length", "0");
  return copy;
}

/**
 * A unary Connect reply as a fetch Response with its body in one piece. Connect's own adapter streams the body
 * through a ReadableStream, which costs Bun more than the rest of a small request's answer.
 */
async function unaryResponse(response: UniversalServerResponse): Promise<Response> {
  const chunks: Uint8Array[] = [];
  if (response.body) for await (const chunk of response.body) chunks.push(chunk);
  return new Response(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), { status: response.status, headers: response.header });
}
