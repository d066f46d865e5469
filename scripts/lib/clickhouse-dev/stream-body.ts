// A result sent block by block as the client reads it, and what ClickHouse (≥ 25.11) writes when the query fails
// after the headers, and some rows, are gone.

import type { RowStream } from "./engine.ts";
import { fromEngineError } from "./errors.ts";

export interface StreamContext {
  version: string;
  /** The response's `X-ClickHouse-Exception-Tag`. */
  exceptionTag: string;
  /** Every stream still open, ended on shutdown. */
  active: Set<() => void>;
}

/**
 * The in-body exception block: `\r\n__exception__\r\n<tag>\r\n<error>\n<length> <tag>\r\n__exception__\r\n`, where
 * `<error>\n` is the usual `Code: N. DB::Exception: …` line and `<length>` its size in bytes. `@clickhouse/client`
 * spots the `\r\n` and reads the error back from the block's end.
 */
export function exceptionBlock(errorBody: string, tag: string): Uint8Array {
  const length = new TextEncoder().encode(errorBody).byteLength;
  return new TextEncoder().encode(`\r\n__exception__\r\n${tag}\r\n${errorBody}${length} ${tag}\r\n__exception__\r\n`);
}

/** Pulls one block at a time as the client reads; a client that goes away cancels the query. */
export function streamBody(stream: RowStream, finish: () => void, context: StreamContext): ReadableStream<Uint8Array> {
  let pending: typeof stream.first | undefined = stream.first;
  let finished = false;
  const end = () => {
    if (finished) return;
    finished = true;
    context.active.delete(abort);
    finish();
  };
  let abort = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        abort = () => {
          stream.cancel();
          end();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        context.active.add(abort);
      },
      async pull(controller) {
        if (finished) return;
        try {
          for (;;) {
            const chunk = pending ?? (await stream.next());
            pending = undefined;
            if (chunk.done) {
              controller.close();
              end();
              return;
            }
            if (chunk.bytes.byteLength > 0) {
              controller.enqueue(chunk.bytes);
              return;
            }
          }
        } catch (thrown) {
          // Headers are gone already: like ClickHouse, frame the exception at the end of the body.
          controller.enqueue(exceptionBlock(fromEngineError(thrown).body(context.version), context.exceptionTag));
          controller.close();
          end();
        }
      },
      cancel() {
        stream.cancel();
        end();
      },
    },
    { highWaterMark: 0 },
  );
}
