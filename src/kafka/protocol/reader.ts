// Bounds-checked reader for Kafka's big-endian wire primitives.
//
// Every read checks the bytes it needs against the end of the frame first and throws ProtocolError,
// so a decoder can never read past a frame, and every length taken from the wire is compared with
// the bytes that remain before anything is allocated for it (a 2 GiB length in a 50-byte frame is
// an error, not an allocation). Byte fields are returned as views into the frame (no copy): the
// frame is owned by the decoder's caller and must not be reused while decoded values are alive.

import { ProtocolError } from '../../core/errors.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })

export class Reader {
  readonly buf: Uint8Array
  readonly view: DataView
  offset: number
  end: number

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    // A Node Buffer is read through a plain Uint8Array view: its subarray() is several times
    // slower than the typed array's, and decoded bytes should not carry Buffer semantics.
    this.buf = Buffer.isBuffer(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.offset = offset
    this.end = end
  }

  get remaining(): number {
    return this.end - this.offset
  }

  /** Throws unless `n` more bytes are available; returns the current offset. */
  need(n: number, what: string): number {
    const at = this.offset
    if (n > this.end - at) {
      throw new ProtocolError(
        `truncated frame: ${what} needs ${n} bytes at offset ${at}, ${this.end - at} left`,
      )
    }
    return at
  }

  int8(): number {
    const at = this.need(1, 'int8')
    this.offset = at + 1
    return this.view.getInt8(at)
  }

  uint8(): number {
    const at = this.need(1, 'uint8')
    this.offset = at + 1
    return this.buf[at]!
  }

  bool(): boolean {
    return this.uint8() !== 0
  }

  int16(): number {
    const at = this.need(2, 'int16')
    this.offset = at + 2
    return this.view.getInt16(at)
  }

  uint16(): number {
    const at = this.need(2, 'uint16')
    this.offset = at + 2
    return this.view.getUint16(at)
  }

  int32(): number {
    const at = this.need(4, 'int32')
    this.offset = at + 4
    return this.view.getInt32(at)
  }

  uint32(): number {
    const at = this.need(4, 'uint32')
    this.offset = at + 4
    return this.view.getUint32(at)
  }

  int64(): bigint {
    const at = this.need(8, 'int64')
    this.offset = at + 8
    return this.view.getBigInt64(at)
  }

  float64(): number {
    const at = this.need(8, 'float64')
    this.offset = at + 8
    return this.view.getFloat64(at)
  }

  /** Unsigned LEB128 limited to 32 bits (Kafka's "unsigned varint"). */
  uvarint(): number {
    const buf = this.buf
    const at = this.offset
    // Up to four bytes (28 bits) in integer arithmetic: every length, count and delta in practice.
    if (at + 4 <= this.end) {
      let b = buf[at]!
      if (b < 0x80) {
        this.offset = at + 1
        return b
      }
      let result = b & 0x7f
      b = buf[at + 1]!
      if (b < 0x80) {
        this.offset = at + 2
        return result | (b << 7)
      }
      result |= (b & 0x7f) << 7
      b = buf[at + 2]!
      if (b < 0x80) {
        this.offset = at + 3
        return result | (b << 14)
      }
      result |= (b & 0x7f) << 14
      b = buf[at + 3]!
      if (b < 0x80) {
        this.offset = at + 4
        return result | (b << 21)
      }
    }
    return this.uvarintSlow()
  }

  private uvarintSlow(): number {
    const buf = this.buf
    let at = this.offset
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= this.end) throw new ProtocolError(`truncated frame: varint at offset ${this.offset}`)
      const b = buf[at++]!
      if (shift === 28 && b > 0x0f) throw new ProtocolError(`varint at offset ${this.offset} exceeds 32 bits`)
      result += (b & 0x7f) * 2 ** shift
      if (b < 0x80) {
        this.offset = at
        return result
      }
    }
    throw new ProtocolError(`varint at offset ${this.offset} exceeds 32 bits`)
  }

  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(): number {
    const u = this.uvarint()
    // u < 2^32: the zigzag decode in 32-bit arithmetic.
    return (u >>> 1) ^ -(u & 1)
  }

  /** Zigzag-encoded signed 64-bit varint. */
  varlong(): bigint {
    const buf = this.buf
    let at = this.offset
    // Fast path for values that fit in 28 bits, the common case for timestamps deltas and offsets.
    let small = 0
    for (let shift = 0; shift < 28; shift += 7) {
      if (at >= this.end) throw new ProtocolError(`truncated frame: varlong at offset ${this.offset}`)
      const b = buf[at++]!
      small |= (b & 0x7f) << shift
      if (b < 0x80) {
        this.offset = at
        return BigInt((small >>> 1) ^ -(small & 1))
      }
    }
    let result = BigInt(small)
    for (let shift = 28n; shift < 70n; shift += 7n) {
      if (at >= this.end) throw new ProtocolError(`truncated frame: varlong at offset ${this.offset}`)
      const b = buf[at++]!
      if (shift === 63n && b > 1) throw new ProtocolError(`varlong at offset ${this.offset} exceeds 64 bits`)
      result |= BigInt(b & 0x7f) << shift
      if (b < 0x80) {
        this.offset = at
        return (result >> 1n) ^ -(result & 1n)
      }
    }
    throw new ProtocolError(`varlong at offset ${this.offset} exceeds 64 bits`)
  }

  /** A zigzag varlong returned as a number; throws if it does not fit a safe integer. */
  varlongNumber(): number {
    // Up to 4 bytes (28 bits) decode without BigInt: record timestamp deltas are small.
    const buf = this.buf
    let at = this.offset
    let small = 0
    for (let shift = 0; shift < 28 && at < this.end; shift += 7) {
      const b = buf[at++]!
      small |= (b & 0x7f) << shift
      if (b < 0x80) {
        this.offset = at
        return (small >>> 1) ^ -(small & 1)
      }
    }
    const v = this.varlong()
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`varlong ${v} does not fit a safe integer`)
    }
    return Number(v)
  }

  /** `n` raw bytes as a view into the frame. */
  raw(n: number, what = 'bytes'): Uint8Array {
    const at = this.need(n, what)
    this.offset = at + n
    return this.buf.subarray(at, at + n)
  }

  utf8(n: number): string {
    const at = this.need(n, 'string')
    this.offset = at + n
    // Short ASCII strings (topic names, ids) are the hot case: decode them without TextDecoder.
    if (n < 64) {
      const buf = this.buf
      let s = ''
      for (let i = at; i < at + n; i++) {
        const c = buf[i]!
        if (c >= 0x80) return this.decodeUtf8(at, n)
        s += String.fromCharCode(c)
      }
      return s
    }
    return this.decodeUtf8(at, n)
  }

  private decodeUtf8(at: number, n: number): string {
    try {
      return utf8.decode(this.buf.subarray(at, at + n))
    } catch (cause) {
      throw new ProtocolError(`invalid UTF-8 in string at offset ${at}`, { cause })
    }
  }

  /** Length of a non-compact string (int16, -1 = null). */
  stringLength(): number {
    const n = this.int16()
    if (n < -1) throw new ProtocolError(`negative string length ${n}`)
    return n
  }

  /** Length of a compact string/bytes/array (uvarint length+1, 0 = null); -1 for null. */
  compactLength(): number {
    return this.uvarint() - 1
  }

  /** Length of non-compact bytes or array (int32, -1 = null). */
  int32Length(what: string): number {
    const n = this.int32()
    if (n < -1) throw new ProtocolError(`negative ${what} length ${n}`)
    return n
  }

  /**
   * Checks an element count against the bytes left, given the smallest encoding of one element,
   * so a hostile count cannot make the caller allocate or loop for nothing.
   */
  checkCount(count: number, minElementSize: number, what: string): void {
    if (count * minElementSize > this.end - this.offset) {
      throw new ProtocolError(`${what} count ${count} exceeds the ${this.end - this.offset} bytes left`)
    }
  }

  uuid(): Uint8Array {
    return this.raw(16, 'uuid')
  }
}
