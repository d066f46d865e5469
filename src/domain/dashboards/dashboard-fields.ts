// The header fields of a dashboard (name, description, default range and granularity) as Create, Update and Upsert
// take them: only the fields present are checked and returned. Limits match the table's checks; enum numbers
// must be ones the contract names (0 = unset).

import { TimeRangePreset } from "../../gen/common/v1/time_pb.ts";
import { Granularity } from "../../gen/shared/insights/v1/insights_pb.ts";
import { FieldError } from "../field-error.ts";
import { granularityFits, isKnownPreset, PRESET_LENGTH_MS } from "./time-range-preset.ts";

export const MAX_DISPLAY_NAME_CHARS = 200;
export const MAX_DESCRIPTION_CHARS = 2000;

export interface DashboardHeader {
  displayName?: string;
  description?: string;
  defaultTimeRange?: number;
  defaultGranularity?: number;
}

/** Characters as Postgres's length() counts them (code points, not UTF-16 units). */
export const charCount = (text: string) => [...text].length;

export function checkHeader(fields: DashboardHeader): DashboardHeader {
  const checked: DashboardHeader = {};
  if (fields.displayName !== undefined) {
    if (fields.displayName.trim() === "") throw new FieldError("display_name", "required");
    if (charCount(fields.displayName) > MAX_DISPLAY_NAME_CHARS) throw new FieldError("display_name", `at most ${MAX_DISPLAY_NAME_CHARS} characters`);
    checked.displayName = fields.displayName;
  }
  if (fields.description !== undefined) {
    if (charCount(fields.description) > MAX_DESCRIPTION_CHARS) throw new FieldError("description", `at most ${MAX_DESCRIPTION_CHARS} characters`);
    checked.description = fields.description;
  }
  if (fields.defaultTimeRange !== undefined) {
    if (!isKnownPreset(fields.defaultTimeRange)) throw new FieldError("default_time_range", `unknown time range preset ${fields.defaultTimeRange}`);
    checked.defaultTimeRange = fields.defaultTimeRange;
  }
  if (fields.defaultGranularity !== undefined) {
    if (!(fields.defaultGranularity in Granularity)) throw new FieldError("default_granularity", `unknown granularity ${fields.defaultGranularity}`);
    checked.defaultGranularity = fields.defaultGranularity;
  }
  // Both set here: a pair no render could use is refused. (Set one at a time, a render picks a coarser
  // granularity that fits the range instead.)
  const preset = checked.defaultTimeRange;
  const granularity = checked.defaultGranularity;
  if (preset && granularity && Object.hasOwn(PRESET_LENGTH_MS, preset) && !granularityFits(granularity, PRESET_LENGTH_MS[preset as keyof typeof PRESET_LENGTH_MS])) {
    throw new FieldError("default_granularity", `${Granularity[granularity]} cannot span the default time range ${TimeRangePreset[preset]}; choose a coarser granularity`);
  }
  return checked;
}
