// Where errors of Connect services become answers: a request the caller must fix (a FieldError from the domain)
// becomes `invalid_argument` naming the field; a ConnectError is already an answer; anything else is a fault of
// ours, logged here with the procedure (the client only sees `internal`). Unary and streaming alike: a streaming
// handler runs as its response is read, so its errors arrive through the message stream.

import type { Interceptor } from "@connectrpc/connect";
import { FieldError } from "../domain/field-error.ts";
import type { Logger } from "../logger.ts";
import { Code, ConnectError } from "./connect-errors.ts";

export function wireErrors(log: Logger): Interceptor {
  return (next) => async (req) => {
    const onWire = (error: unknown): unknown => {
      if (error instanceof FieldError) return new ConnectError(error.message, Code.InvalidArgument);
      if (!(error instanceof ConnectError) && !req.signal.aborted) log.error("request failed", { procedure: `${req.service.typeName}/${req.method.name}`, error });
      return error;
    };
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: translated(res.message, onWire) } : res;
    } catch (error) {
      throw onWire(error);
    }
  };
}

async function* translated<T>(messages: AsyncIterable<T>, onWire: (error: unknown) => unknown): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw onWire(error);
  }
}
