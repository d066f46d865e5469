// Request facts the HTTP layer knows and the Connect services need.

import { createContextKey } from "@connectrpc/connect";

export const clientIpKey = createContextKey<string>("", { description: "the client's IP address" });
export const userAgentKey = createContextKey<string>("", { description: "the request's User-Agent" });
