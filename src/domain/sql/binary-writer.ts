// Values as ClickHouse's binary formats (Native, RowBinary) write them, one after the other into one buffer that
// doubles as it fills: integers little-endian, a string prefixed by its LEB128 byte length, a UUID as its two
// 64-bit halves each little-endian, a DateTime64(3) as an Int64 of milliseconds. An integer out of its type's
// range is refused (naming the value), never wrapped.

const encoder = new TextEncoder();

export class BinaryWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #at = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#bytes = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get length(): number {
    return this.#at;
  }

  /** Forgets what was written, keeping the buffer (and the room it grew to) for what is written next. */
  reset(): this {
    this.#at = 0;
    return this;
  }

  /** The bytes written so far, as a buffer of their own (the writer's larger buffer is not kept alive). */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#at);
  }

  uint8(value: number): void {
    if (!(value >= 0 && value <= 0xff && Number.isInteger(value))) throw new Error(`not a UInt8: ${value}`);
    this.#room(1);
    this.#bytes[this.#at++] = value;
  }

  bool(value: boolean): void {
    this.#room(1);
    this.#bytes[this.#at++] = value ? 1 : 0;
  }

  uint16(value: number): void {
    if (!(value >= 0 && value <= 0xffff && Number.isInteger(value))) throw new Error(`not a UInt16: ${value}`);
    this.#room(2);
    this.#view.setUint16(this.#at, value, true);
    this.#at += 2;
  }

  float64(value: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#at, value, true);
    this.#at += 8;
  }

  /** An Int64 (or a UInt64 below 2^63) given as a safe integer. */
  int64(value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
    this.#room(8);
    const high = Math.floor(value / 2 ** 32);
    this.#view.setUint32(this.#at, value - high * 2 ** 32, true);
    this.#view.setInt32(this.#at + 4, high, true);
    this.#at += 8;
  }

  /** DateTime64(3): milliseconds since the epoch (negative before 1970), as an Int64. */
  dateTime64ms(ms: number): void {
    if (!Number.isSafeInteger(ms)) throw new Error(`not a time in milliseconds: ${ms}`);
    this.int64(ms);
  }

  /** LEB128, as the formats prefix string lengths (and Native its counts, RowBinary its map sizes). */
  varUInt(value: number): void {
    this.#room(10);
    this.#putVarUInt(value);
  }

  /** LEB128 into room already made. */
  #putVarUInt(value: number): void {
    while (value >= 0x80) {
      this.#bytes[this.#at++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.#bytes[this.#at++] = value;
  }

  /** A String (or LowCardinality(String)) as UTF-8; a lone surrogate becomes U+FFFD, as any UTF-8 encoder does. */
  string(text: string): void {
    const length = text.length;
    if (length < 128) {
      // Most texts are short and ASCII: copied code by code, no encoder call and no view of the buffer made.
      this.#room(1 + length);
      const bytes = this.#bytes;
      const start = this.#at + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        bytes[start + i] = code;
      }
      if (i === length) {
        bytes[this.#at] = length;
        this.#at = start + length;
        return;
      }
    }
    const maxBytes = length * 3;
    // Reserve the prefix for the longest the text can be, write the text, then move it if the prefix is shorter.
    const reserved = varUIntSize(maxBytes);
    this.#room(reserved + maxBytes);
    const { written } = encoder.encodeInto(text, this.#bytes.subarray(this.#at + reserved));
    const needed = varUIntSize(written);
    if (needed < reserved) this.#bytes.copyWithin(this.#at + needed, this.#at + reserved, this.#at + reserved + written);
    // Into the reserved room: making room here could grow the buffer, and growing keeps only what is before #at.
    this.#putVarUInt(written);
    this.#at += written;
  }

  /** Bytes already encoded, copied as they are. */
  raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  /** `bytes[start, end)`, copied as they are; a short range byte by byte, as making a view of it costs more. */
  rawRange(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.#room(length);
    if (length > 64) this.#bytes.set(bytes.subarray(start, end), this.#at);
    else for (let i = start, at = this.#at; i < end; i++, at++) this.#bytes[at] = bytes[i]!;
    this.#at += length;
  }

  /** A UUID in its text form: the first 8 bytes then the last 8, each half reversed (two little-endian UInt64). */
  uuid(text: string): void {
    this.#room(16);
    let digit = 0;
    if (text.length === 36) {
      for (let i = 0; i < 36; i++) {
        if (i === 8 || i === 13 || i === 18 || i === 23) {
          if (text.charCodeAt(i) !== 0x2d) break;
          continue;
        }
        const high = hexValue(text.charCodeAt(i++));
        const low = hexValue(text.charCodeAt(i));
        if (high < 0 || low < 0) break;
        const byte = digit >> 1;
        // Byte b of a half is written at 7 - b of that half.
        this.#bytes[this.#at + (byte < 8 ? 7 - byte : 23 - byte)] = (high << 4) | low;
        digit += 2;
      }
    }
    if (digit !== 32) throw new Error(`not a UUID: ${JSON.stringify(text)}`);
    this.#at += 16;
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#at + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

function varUIntSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
