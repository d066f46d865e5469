import { autoText } from "../properties.ts";
import type { Stage } from "../pipeline-types.ts";

/** The SDK's other automatic properties that reports use, promoted to typed columns. */
export const putPageFacts: Stage = (w) => {
  const auto = w.event.autoProperties;
  w.row.page_title = autoText(auto, "$pageTitle").slice(0, 1024);
  w.row.locale = autoText(auto, "$locale").slice(0, 35);
  w.row.platform = autoText(auto, "$platform").slice(0, 32);
  w.row.sdk_version = autoText(auto, "$sdkVersion").slice(0, 32);
  w.row.screen_width = dimension(autoText(auto, "$screenWidth"));
  w.row.screen_height = dimension(autoText(auto, "$screenHeight"));
  return w;
};

function dimension(text: string): number {
  const value = Number.parseInt(text, 10);
  return Number.isFinite(value) && value > 0 && value < 65_536 ? value : 0;
}
