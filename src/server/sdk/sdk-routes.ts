// Mounts the SDK's Connect services on Hono: CORS and body limits first, then the Connect handler with the
// client's IP and user agent handed over as context values.

import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import { universalServerRequestFromFetch, universalServerResponseToFetch } from "@connectrpc/connect/protocol";
import { Hono } from "hono";
import { getConnInfo } from "hono/bun";
import type { App } from "../../app/app.ts";
import { clientIp, trustedProxies } from "../../domain/ingest/client-ip.ts";
import { EventsService } from "../../gen/sdk/events/v1/events_pb.ts";
import { ProfilesSDKService } from "../../gen/sdk/profiles/v1/profiles_pb.ts";
import { Code, ConnectError, connectErrorResponse } from "../connect-errors.ts";
import { apiKeyStore } from "./api-key-store.ts";
import { bodyLimit } from "./body-limit.ts";
import { clientFactsSource } from "./client-facts-source.ts";
import { eventsService, type IntakeDeps } from "./events-service.ts";
import { clientIpKey, userAgentKey } from "./intake-context.ts";
import { profilesSdkService } from "./profiles-sdk-service.ts";
import { rateLimiter } from "./rate-limiter.ts";
import { sdkCors } from "./sdk-cors.ts";

export function sdkRoutes(app: App): Hono<{ Variables: { clientIp: string } }> {
  const { intake } = app.config;
  const redis = app.redis();
  const deps: IntakeDeps = {
    keys: apiKeyStore(app.postgres(), redis, () => app.metrics.redisFailOpen.inc({ purpose: "api_key_cache" })),
    limiter: rateLimiter(redis, app.metrics, app.log),
    nats: app.nats,
    metrics: app.metrics,
    log: app.log,
    limits: intake,
    clientFacts: clientFactsSource(app),
  };
  const router = createConnectRouter({
    readMaxBytes: intake.maxDecodedBodyBytes,
    requireConnectProtocolHeader: false,
    // A field the server does not know is a client bug worth hearing about, not something to drop silently.
    jsonOptions: { ignoreUnknownFields: false },
  });
  router.service(EventsService, eventsService(deps));
  router.service(ProfilesSDKService, profilesSdkService(deps));

  const trusted = trustedProxies(intake.trustedProxies);
  const routes = new Hono<{ Variables: { clientIp: string } }>();
  for (const handler of router.handlers) {
    // The socket address is known only for the request Bun received, so read it before the body limit
    // replaces that request with a buffered copy.
    routes.use(handler.requestPath, async (c, next) => {
      c.set("clientIp", clientIp(getConnInfo(c).remote.address ?? "", c.req.header("x-forwarded-for") ?? null, trusted));
      await next();
    });
    routes.use(handler.requestPath, sdkCors(), bodyLimit(intake));
    routes.on(["POST", "GET"], handler.requestPath, async (c) => {
      const request = universalServerRequestFromFetch(c.req.raw, {});
      request.contextValues = createContextValues().set(clientIpKey, c.get("clientIp")).set(userAgentKey, c.req.header("user-agent") ?? "");
      return clientFault(universalServerResponseToFetch(await handler(request)), c.req.header("content-type") ?? "");
    });
  }
  return routes;
}

/**
 * connect-es reports a body that does not parse as `internal` (500), which SDKs retry forever. It is the
 * client's fault, so say invalid_argument (400) and keep the parser's explanation. Its 415 has no body: say why.
 */
async function clientFault(response: Response, contentType: string): Promise<Response> {
  if (response.status === 415) {
    return connectErrorResponse(new ConnectError(`content-type '${contentType}' is not supported (use application/proto or application/json)`, Code.Unimplemented), 415);
  }
  if (response.status !== 500) return response;
  const body = await response.text();
  try {
    const error = JSON.parse(body) as { code?: string; message?: string };
    if (error.code === "internal" && /^(parse (binary|json)|cannot decode)/i.test(error.message ?? "")) {
      return connectErrorResponse(new ConnectError(`request body: ${error.message}`, Code.InvalidArgument));
    }
  } catch {
    // not a Connect error body: pass it on unchanged
  }
  return new Response(body, { status: response.status, headers: response.headers });
}
