// A request the caller must fix (a FieldError from the domain) becomes `invalid_argument` naming the field:
// the one translation of domain errors to the wire, for every Connect service.

import type { Interceptor } from "@connectrpc/connect";
import { FieldError } from "../domain/field-error.ts";
import { Code, ConnectError } from "./connect-errors.ts";

export const fieldErrors: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (error) {
    if (error instanceof FieldError) throw new ConnectError(error.message, Code.InvalidArgument);
    throw error;
  }
};
