// For API tests: how a call was refused, as `Code: message`. A call that succeeds fails the test; an error that
// is no Connect error propagates.

import { Code, ConnectError } from "@connectrpc/connect";

export async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ConnectError) return `${Code[error.code]}: ${error.rawMessage}`;
    throw error;
  }
  throw new Error("the call was not refused");
}
