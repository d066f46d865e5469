import type { Stage } from "../pipeline-types.ts";

/** Browser, OS and device from the request's User-Agent header; bots are flagged, not dropped. */
export const putUserAgent: Stage = (w, ctx) => {
  const ua = ctx.userAgent(w.request.userAgent);
  w.row.browser = ua.browser;
  w.row.browser_version = ua.browserVersion;
  w.row.os = ua.os;
  w.row.os_version = ua.osVersion;
  w.row.device_type = ua.deviceType;
  w.row.is_bot = ua.isBot;
  return w;
};
