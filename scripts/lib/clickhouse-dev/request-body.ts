// Request bodies. A query's body is read whole (and decompressed); INSERT data is written to a file as it arrives
// and the INSERT reads it back (`FROM INFILE` or `file()`: see insert-head.ts), so rows never become JavaScript
// strings, any format arrives byte for byte, and a slow upload never holds the engine (which only runs once the
// whole body is spooled).
//
// On Linux the file is unlinked as soon as it is opened and read back through this process's descriptor
// (`/proc/self/fd/N` opens it afresh; the engine runs in this process): nothing is left behind by a killed server,
// and closing the descriptor frees it. In memory (/dev/shm) where there is one, so a body never costs disk writes.

import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, unlinkSync } from "node:fs";
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

const byDescriptor = existsSync("/proc/self/fd");

export class Spool {
  private next = 0;

  private constructor(
    readonly dir: string,
    private readonly owned: boolean,
  ) {}

  /**
   * A spool in memory (/dev/shm) if this machine has one and files there can be unlinked while open, else in
   * `fallbackDir`, emptied first: files left by a killed process are no one's any more.
   */
  static create(fallbackDir: string, memoryDir = "/dev/shm"): Spool {
    if (byDescriptor && existsSync(memoryDir) && statSync(memoryDir).isDirectory()) return new Spool(memoryDir, false);
    rmSync(fallbackDir, { recursive: true, force: true });
    mkdirSync(fallbackDir, { recursive: true });
    return new Spool(fallbackDir, true);
  }

  /** Writes `body` (bytes, or a stream read to its end) to a new file (on Linux, one already unlinked). */
  async write(body: Uint8Array | ReadableStream<Uint8Array> | null, encoding: string | null): Promise<SpooledData> {
    const compression = compressionOf(encoding);
    const path = join(this.dir, `pug-chdev-body-${process.pid}-${this.next++}`);
    const fd = openSync(path, "wx+", 0o600);
    let open = true;
    const remove = async () => {
      if (!open) return;
      open = false;
      closeSync(fd);
      if (!byDescriptor) rmSync(path, { force: true });
    };
    try {
      if (byDescriptor) unlinkSync(path);
      // Bun.write streams the body to the file itself: a quarter less CPU per row than writing it chunk by chunk from here.
      if (body instanceof Uint8Array) await Bun.write(Bun.file(fd), body);
      else await Bun.write(Bun.file(fd), new Response(body));
    } catch (error) {
      await remove();
      throw error;
    }
    // The compression is always named: the engine would otherwise guess one from a file extension.
    return { path: byDescriptor ? `/proc/self/fd/${fd}` : path, compression, remove };
  }

  close(): void {
    if (this.owned) rmSync(this.dir, { recursive: true, force: true });
  }
}
