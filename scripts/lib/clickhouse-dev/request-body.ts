// Request bodies. A query's body is read whole (and decompressed); INSERT data is written to a file as it arrives
// and the INSERT reads it back (`FROM INFILE` or `file()`: see insert-head.ts), so rows never become JavaScript
// strings, any format arrives byte for byte, and a slow upload never holds the engine (which only runs once the
// whole body is on disk).

import { mkdirSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import { ClickHouseError } from "./errors.ts";

export interface SpooledData {
  /** Where the engine reads the data back. */
  path: string;
  /** How the data is compressed, as FROM INFILE and file() name it (`none`, `gzip`, …). */
  compression: string;
  remove(): Promise<void>;
}

/** HTTP `Content-Encoding` → the name `FROM INFILE … COMPRESSION` knows (ClickHouse maps both the same way). */
const compressions: Record<string, string> = {
  identity: "none", gzip: "gzip", "x-gzip": "gzip", deflate: "deflate", br: "br", zstd: "zstd",
};

export function compressionOf(encoding: string | null): string {
  const name = compressions[(encoding ?? "identity").trim().toLowerCase()];
  if (!name) throw new ClickHouseError(1, "UNSUPPORTED_METHOD", `Unknown Content-Encoding: ${encoding}`);
  return name;
}

const decompressors: Record<string, (raw: Uint8Array) => Uint8Array> = {
  gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync, zstd: zstdDecompressSync,
};

/** A query's body as text bytes, undoing its `Content-Encoding`. */
export function decodeBody(raw: Uint8Array, encoding: string | null): Uint8Array {
  const decompress = decompressors[compressionOf(encoding)];
  return decompress && raw.byteLength > 0 ? decompress(raw) : raw;
}

export class Spool {
  private next = 0;

  private constructor(readonly dir: string) {}

  /** A spool in `dir`, emptied first: files left by a killed process are no one's any more. */
  static create(dir: string): Spool {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return new Spool(dir);
  }

  /** Writes `body` (bytes, or a stream read to its end) to a new file. */
  async write(body: Uint8Array | ReadableStream<Uint8Array> | null, encoding: string | null): Promise<SpooledData> {
    const compression = compressionOf(encoding);
    // No file extension, and the compression always named: the engine would otherwise guess one from the name.
    const path = join(this.dir, `body-${process.pid}-${this.next++}`);
    const remove = () => unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    try {
      // Bun.write streams the body to disk itself: a quarter less CPU per row than writing it chunk by chunk from here.
      if (body instanceof Uint8Array) await Bun.write(path, body);
      else await Bun.write(path, new Response(body));
    } catch (error) {
      await remove();
      throw error;
    }
    return { path, compression, remove };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
