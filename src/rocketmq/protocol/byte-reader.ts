// A bounded big-endian reader over one decoded frame. Every read checks the remaining length
// first, so a length field taken from the wire can never make a decoder read past its frame or
// allocate more than the frame holds: the worst a malformed length does is a ProtocolError.

import { ProtocolError } from '../../core/errors.ts'

const decoder = new TextDecoder()

export class ByteReader {
  readonly bytes: Uint8Array
  readonly view: DataView
  offset: number
  readonly end: number
  readonly what: string

  constructor(bytes: Uint8Array, what: string, start = 0, end = bytes.length) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = start
    this.end = end
    this.what = what
  }

  get remaining(): number {
    return this.end - this.offset
  }

  private need(n: number, field: string): number {
    if (n < 0 || n > this.end - this.offset) {
      throw new ProtocolError(
        `${this.what}: ${field} needs ${n} bytes at offset ${this.offset}, only ${this.end - this.offset} left`,
      )
    }
    const at = this.offset
    this.offset += n
    return at
  }

  u8(field: string): number {
    return this.view.getUint8(this.need(1, field))
  }

  i16(field: string): number {
    return this.view.getInt16(this.need(2, field))
  }

  u16(field: string): number {
    return this.view.getUint16(this.need(2, field))
  }

  i32(field: string): number {
    return this.view.getInt32(this.need(4, field))
  }

  /** A signed 64-bit value as a number; RocketMQ offsets and timestamps stay far below 2^53. */
  i64(field: string): number {
    const at = this.need(8, field)
    const value = this.view.getBigInt64(at)
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`${this.what}: ${field} ${value} is outside the safe integer range`)
    }
    return Number(value)
  }

  /** A view (not a copy) of the next n bytes. */
  bytesOf(n: number, field: string): Uint8Array {
    const at = this.need(n, field)
    return this.bytes.subarray(at, at + n)
  }

  /** A length-prefixed byte string whose length is a signed 32-bit int; negative is an error. */
  lengthPrefixed32(field: string): Uint8Array {
    const n = this.i32(`${field} length`)
    return this.bytesOf(n, field)
  }

  utf8(n: number, field: string): string {
    return decoder.decode(this.bytesOf(n, field))
  }

  /** Steps over `n` bytes of a field the decoder does not use (bounded like every read). */
  advance(n: number, field: string): void {
    this.need(n, field)
  }
}
