// The page size of a paged read: 0 means the default; negative or above the maximum is refused.

import { FieldError } from "../field-error.ts";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSizeOf(requested: number, field = "page_size"): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (requested < 0) throw new FieldError(field, `${requested} is negative; give 1 to ${MAX_PAGE_SIZE}, or 0 for ${DEFAULT_PAGE_SIZE}`);
  if (requested > MAX_PAGE_SIZE) throw new FieldError(field, `${requested} is above the maximum of ${MAX_PAGE_SIZE}`);
  return requested;
}
