// A request the caller must fix (a FieldError from the domain) becomes `invalid_argument` naming the field:
// the one translation of domain errors to the wire, for every Connect service, unary and streaming alike (a
// streaming handler runs as its response is read, so its errors arrive through the message stream).

import type { Interceptor } from "@connectrpc/connect";
import { FieldError } from "../domain/field-error.ts";
import { Code, ConnectError } from "./connect-errors.ts";

export const fieldErrors: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: translated(res.message) } : res;
  } catch (error) {
    throw onWire(error);
  }
};

async function* translated<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw onWire(error);
  }
}

function onWire(error: unknown): unknown {
  return error instanceof FieldError ? new ConnectError(error.message, Code.InvalidArgument) : error;
}
