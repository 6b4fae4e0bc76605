// Growable writer for Kafka's big-endian wire primitives.
//
// One writer is reused across requests (the hot path for Produce is "encode, copy out, send"), so
// it grows geometrically and never shrinks; `finish()` copies the written bytes out because the
// backing buffer is overwritten by the next request.

import { ConfigError } from '../../core/errors.ts'

const encoder = new TextEncoder()

/** Byte arrays at least this long are referenced instead of copied, when references are allowed. */
export const REF_MIN_BYTES = 4096

export class Writer {
  buf: Uint8Array
  view: DataView
  offset = 0
  /**
   * Large byte arrays kept by reference (bytesRef) and the buffer offset each goes at. Only a
   * writer reset with `allowRefs` keeps any: its output is then a list of parts (finishParts),
   * written to the socket in one writev, so a Produce request does not copy its record batches.
   */
  #refAt: number[] = []
  #refs: Uint8Array[] = []
  #refBytes = 0
  #allowRefs = false

  constructor(initialSize = 4096) {
    this.buf = new Uint8Array(initialSize)
    this.view = new DataView(this.buf.buffer)
  }

  /**
   * A writer over `size` bytes of memory that is not zeroed first, for output whose size is known
   * in advance and which is written in full (an uncompressed record batch): a view of its buffer
   * is the result, with neither a zero fill nor a copy out.
   */
  static exact(size: number): Writer {
    const w = new Writer(0)
    w.buf = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size)
    w.view = new DataView(w.buf.buffer)
    return w
  }

  reset(allowRefs = false): this {
    this.offset = 0
    this.#allowRefs = allowRefs
    if (this.#refs.length > 0) {
      this.#refAt = []
      this.#refs = []
    }
    this.#refBytes = 0
    return this
  }

  /** Bytes written so far, referenced ones included. */
  get length(): number {
    return this.offset + this.#refBytes
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.offset + n
    if (needed <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < needed) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.offset))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  /** A copy of everything written since the last reset. */
  finish(): Uint8Array {
    if (this.#refs.length === 0) return this.buf.slice(0, this.offset)
    const out = new Uint8Array(this.length)
    let at = 0
    for (const part of this.finishParts()) {
      out.set(part, at)
      at += part.length
    }
    return out
  }

  /**
   * Everything written since the last reset, as parts to write in order: copies of the writer's
   * own bytes, and the referenced arrays themselves (which must not change until written).
   */
  finishParts(): Uint8Array[] {
    if (this.#refs.length === 0) return [this.buf.slice(0, this.offset)]
    const parts: Uint8Array[] = []
    let from = 0
    for (let i = 0; i < this.#refs.length; i++) {
      const at = this.#refAt[i]!
      if (at > from) parts.push(this.buf.slice(from, at))
      parts.push(this.#refs[i]!)
      from = at
    }
    if (this.offset > from) parts.push(this.buf.slice(from, this.offset))
    return parts
  }

  int8(v: number): void {
    this.ensure(1)
    this.view.setInt8(this.offset, v)
    this.offset += 1
  }

  uint8(v: number): void {
    this.ensure(1)
    this.buf[this.offset++] = v
  }

  bool(v: boolean): void {
    this.uint8(v ? 1 : 0)
  }

  int16(v: number): void {
    this.ensure(2)
    this.view.setInt16(this.offset, v)
    this.offset += 2
  }

  uint16(v: number): void {
    this.ensure(2)
    this.view.setUint16(this.offset, v)
    this.offset += 2
  }

  int32(v: number): void {
    this.ensure(4)
    this.view.setInt32(this.offset, v)
    this.offset += 4
  }

  uint32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.offset, v)
    this.offset += 4
  }

  /** Writes an int32 at an earlier position (length prefixes, CRCs filled in afterwards). */
  int32At(at: number, v: number): void {
    this.view.setInt32(at, v)
  }

  uint32At(at: number, v: number): void {
    this.view.setUint32(at, v)
  }

  int64(v: bigint): void {
    this.ensure(8)
    this.view.setBigInt64(this.offset, v)
    this.offset += 8
  }

  float64(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.offset, v)
    this.offset += 8
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  uvarint(v: number): void {
    this.ensure(5)
    const buf = this.buf
    let at = this.offset
    if (v < 0x80) {
      buf[at] = v
      this.offset = at + 1
      return
    }
    // `>>> 7` reads v as uint32, which every value here is.
    while (v >= 0x80) {
      buf[at++] = (v & 0x7f) | 0x80
      v = v >>> 7
    }
    buf[at++] = v
    this.offset = at
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  /** Zigzag signed 64-bit varint from a number (safe integer range). */
  varlongNumber(v: number): void {
    if (v >= -0x40000000 && v < 0x40000000) {
      this.varint(v)
      return
    }
    this.varlong(BigInt(v))
  }

  /** Zigzag signed 64-bit varint. */
  varlong(v: bigint): void {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    this.ensure(10)
    const buf = this.buf
    let at = this.offset
    while (z >= 0x80n) {
      buf[at++] = Number(z & 0x7fn) | 0x80
      z >>= 7n
    }
    buf[at++] = Number(z)
    this.offset = at
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.offset)
    this.offset += bytes.length
  }

  /** raw(), except that a large array is referenced rather than copied if the writer allows it. */
  rawRef(bytes: Uint8Array): void {
    if (!this.#allowRefs || bytes.length < REF_MIN_BYTES) {
      this.raw(bytes)
      return
    }
    this.#refAt.push(this.offset)
    this.#refs.push(bytes)
    this.#refBytes += bytes.length
  }

  /**
   * Writes `s` as UTF-8 (no length prefix) and returns the byte length. ASCII (the usual
   * topic/group/client id) is copied without TextEncoder.
   */
  utf8(s: string): number {
    const n = s.length
    this.ensure(n * 3)
    const buf = this.buf
    const start = this.offset
    let i = 0
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) break
      buf[start + i] = c
    }
    if (i === n) {
      this.offset = start + n
      return n
    }
    const { written } = encoder.encodeInto(s.slice(i), buf.subarray(start + i))
    this.offset = start + i + written
    return i + written
  }

  /** UTF-8 byte length of `s` (needed before writing a length-prefixed string). */
  static utf8Length(s: string): number {
    let len = s.length
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c < 0x80) continue
      if (c < 0x800) len += 1
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          len += 2
          i++
        } else len += 2
      } else len += 2
    }
    return len
  }

  /** Non-compact string: int16 length (or -1 for null) then UTF-8. */
  string(s: string | null): void {
    if (s === null) {
      this.int16(-1)
      return
    }
    this.ensure(2)
    const at = this.offset
    this.offset += 2
    const n = this.utf8(s)
    if (n > 0x7fff) throw new ConfigError(`string of ${n} bytes exceeds the int16 length limit`)
    this.view.setInt16(at, n)
  }

  /** Compact string: uvarint length+1 (0 for null) then UTF-8. */
  compactString(s: string | null): void {
    if (s === null) {
      this.uvarint(0)
      return
    }
    this.uvarint(Writer.utf8Length(s) + 1)
    this.utf8(s)
  }

  bytes(b: Uint8Array | null): void {
    if (b === null) {
      this.int32(-1)
      return
    }
    this.int32(b.length)
    this.rawRef(b)
  }

  compactBytes(b: Uint8Array | null): void {
    if (b === null) {
      this.uvarint(0)
      return
    }
    this.uvarint(b.length + 1)
    this.rawRef(b)
  }
}

/** Byte length of an unsigned varint. */
export function uvarintSize(v: number): number {
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

/** Byte length of a zigzag signed 32-bit varint. */
export function varintSize(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0)
}
