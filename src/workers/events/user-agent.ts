// User-Agent → browser, OS, device and bot flag. ua-parser-js 1.x (MIT; 2.x is AGPL) and isbot. Parsing is
// regex-heavy and most traffic repeats a few hundred agents, so answers are memoised.

import { isbot } from "isbot";
import UAParser from "ua-parser-js";
import type { UserAgentFacts } from "../../domain/ingest/pipeline-types.ts";
import { memoised } from "../../domain/memoised.ts";

const MAX_CACHED = 5_000;

export function userAgentParser(): (ua: string) => UserAgentFacts {
  return memoised((ua) => {
    const result = new UAParser(ua).getResult();
    return {
      browser: result.browser.name ?? "",
      browserVersion: result.browser.major ?? "",
      os: result.os.name ?? "",
      osVersion: result.os.version ?? "",
      deviceType: result.device.type ?? (result.os.name ? "desktop" : ""),
      isBot: ua === "" || isbot(ua),
    };
  }, MAX_CACHED);
}
