// Cuts a byte stream into frames that start with a 4-byte big-endian length that does not count
// itself — the framing Kafka, Pulsar and RocketMQ all use. Kept apart from the socket so it can
// be fed arbitrary (fuzzed) chunk boundaries in tests.
//
// Cost is linear in the bytes received whatever the chunking: a frame that lies whole inside one
// chunk is handed out as a view of that chunk (no copy); a frame split across chunks is copied
// once into a buffer of exactly its size, allocated only after the length passed the bound.

import { ConfigError, MessageTooLargeError, ProtocolError } from './errors.ts'

export class FrameDecoder {
  readonly #maxFrameBytes: number
  /** The length prefix while it is split across chunks. */
  readonly #header = new Uint8Array(4)
  #headerFilled = 0
  /** The body of a frame that spans chunks, and how much of it has arrived. */
  #partial: Uint8Array | null = null
  #partialFilled = 0
  #failed = false

  constructor(maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > 0x7fffffff) {
      throw new ConfigError(`maxFrameBytes must be an integer in 0..2^31-1, got ${String(maxFrameBytes)}`)
    }
    this.#maxFrameBytes = maxFrameBytes
  }

  /** Bytes of an unfinished frame (prefix included) held back until more data arrives. */
  get bufferedBytes(): number {
    return this.#partial ? 4 + this.#partialFilled : this.#headerFilled
  }

  /** The declared size of the frame being assembled, or undefined between frames. */
  get pendingFrameBytes(): number | undefined {
    return this.#partial?.length
  }

  /**
   * Feeds one chunk; calls `emit` for every frame it completes, in order. Throws ProtocolError
   * for a length that is negative or over the bound; after that the decoder refuses more input,
   * since the stream position is lost. Stops early (without error) if `emit` returns false.
   */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => boolean | void): void {
    if (this.#failed)
      throw new ProtocolError('frame decoder already failed; the stream cannot be resynchronised')
    const n = chunk.length
    let pos = 0
    while (pos < n) {
      if (this.#partial) {
        const body = this.#partial
        const take = Math.min(body.length - this.#partialFilled, n - pos)
        body.set(chunk.subarray(pos, pos + take), this.#partialFilled)
        this.#partialFilled += take
        pos += take
        if (this.#partialFilled < body.length) return
        this.#partial = null
        this.#partialFilled = 0
        if (emit(body) === false) return
        continue
      }

      let length: number
      if (this.#headerFilled === 0 && n - pos >= 4) {
        length = (chunk[pos]! << 24) | (chunk[pos + 1]! << 16) | (chunk[pos + 2]! << 8) | chunk[pos + 3]! | 0
        pos += 4
      } else {
        while (this.#headerFilled < 4 && pos < n) this.#header[this.#headerFilled++] = chunk[pos++]!
        if (this.#headerFilled < 4) return
        const h = this.#header
        length = (h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]! | 0
        this.#headerFilled = 0
      }
      this.#check(length)

      if (n - pos >= length) {
        const frame = chunk.subarray(pos, pos + length)
        pos += length
        if (emit(frame) === false) return
      } else {
        this.#partial = new Uint8Array(length)
        this.#partialFilled = 0
      }
    }
  }

  #check(length: number): void {
    if (length < 0) {
      this.#failed = true
      throw new ProtocolError(`frame length ${length} is negative`, { code: 'CONDUIT_FRAME_INVALID' })
    }
    if (length > this.#maxFrameBytes) {
      this.#failed = true
      throw new ProtocolError(`frame of ${length} bytes exceeds the limit of ${this.#maxFrameBytes} bytes`, {
        code: 'CONDUIT_FRAME_TOO_LARGE',
      })
    }
  }
}

/** One frame: the 4-byte big-endian length of all parts, then the parts. */
export function frameWithLength(...parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  if (size > 0x7fffffff) throw new MessageTooLargeError(size, 0x7fffffff)
  const out = new Uint8Array(4 + size)
  new DataView(out.buffer).setUint32(0, size)
  let at = 4
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
