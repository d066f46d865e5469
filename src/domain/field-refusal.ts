// For unit tests of request checks: the FieldError message `run` throws. Any other error propagates, and a
// request that is not refused fails the test.

import { FieldError } from "./field-error.ts";

export function refusalOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
  throw new Error("the request was not refused");
}
