// Request facts the HTTP layer knows and the Connect services need.

import { createContextKey } from "@connectrpc/connect";

export const clientIpKey = createContextKey<string>("", { description: "the client's IP address" });
export const userAgentKey = createContextKey<string>("", { description: "the request's User-Agent" });
/**
 * The decoded (gunzipped) body of a binary Connect request (application/proto): intake forwards its events' bytes,
 * and a binary BatchCreate is decoded from it by intake itself (sdk-routes.ts hands Connect an empty body).
 */
export const requestBodyKey = createContextKey<Uint8Array | undefined>(undefined, { description: "the binary request body as received" });
