// Snappy as Kafka's Java client writes it: the xerial snappy-java stream framing (not Google's
// "framing format"). It is the raw Snappy block format cut into chunks:
//
//   header = magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 BE version (1), int32 BE compatible version (1)
//   chunk* = int32 BE compressed length, raw Snappy block of that length
//
// Readers must also accept a bare raw block, which some non-Java Kafka clients send. The two can
// be told apart safely: a raw block starting with the magic would begin with a copy at output
// position 0, which is invalid, so no valid raw block starts with it.

import { malformed, syncCodec, tooLarge } from './codec.ts'
import {
  snappyCompressSync,
  snappyDecompressSync,
  snappyMaxDecodedLength,
  snappyUncompressedLength,
} from './snappy.ts'

const NAME = 'snappy (xerial)'
const MAGIC = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00)
const HEADER_BYTES = 16
/** snappy-java's default block size, which Kafka's producer uses. */
const CHUNK = 32 * 1024

export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < MAGIC.length) return false
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return false
  return true
}

export function xerialCompressSync(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  const header = new Uint8Array(HEADER_BYTES)
  header.set(MAGIC)
  const view = new DataView(header.buffer)
  view.setInt32(8, 1)
  view.setInt32(12, 1)
  parts.push(header)
  let total = HEADER_BYTES
  for (let start = 0; start < data.length; start += CHUNK) {
    const block = snappyCompressSync(data.subarray(start, Math.min(data.length, start + CHUNK)))
    const len = new Uint8Array(4)
    new DataView(len.buffer).setInt32(0, block.length)
    parts.push(len, block)
    total += 4 + block.length
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export function xerialDecompressSync(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (!isXerialFramed(data)) return snappyDecompressSync(data, maxOutputBytes)
  if (data.length < HEADER_BYTES) throw malformed(NAME, 'truncated stream header')
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  // First pass: validate the chunk structure and sum the declared sizes, so the output is
  // allocated once, at its exact size, only after it is known to be within the bound.
  const chunks: Array<[number, number]> = []
  let total = 0
  let pos = HEADER_BYTES
  while (pos < data.length) {
    // snappy-java also reads streams concatenated with their headers; a chunk length never
    // starts with 0x82 (it would be negative), so a header mid-stream is unambiguous.
    if (data[pos] === MAGIC[0] && isXerialFramed(data.subarray(pos))) {
      if (pos + HEADER_BYTES > data.length) throw malformed(NAME, 'truncated stream header')
      pos += HEADER_BYTES
      continue
    }
    if (pos + 4 > data.length) throw malformed(NAME, 'truncated chunk length')
    const len = view.getInt32(pos)
    pos += 4
    if (len < 0 || len > data.length - pos) throw malformed(NAME, `chunk length ${len} runs past the input`)
    const { length: declared, headerBytes } = snappyUncompressedLength(data.subarray(pos, pos + len))
    if (declared > snappyMaxDecodedLength(len - headerBytes)) {
      throw malformed(NAME, `chunk declares ${declared} bytes, more than ${len} compressed bytes can hold`)
    }
    total += declared
    if (total > maxOutputBytes) throw tooLarge(NAME, maxOutputBytes, total)
    chunks.push([pos, len])
    pos += len
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const [start, len] of chunks) {
    const part = snappyDecompressSync(data.subarray(start, start + len), total - at)
    out.set(part, at)
    at += part.length
  }
  return out
}

export const snappyXerial = syncCodec('snappy-xerial', xerialCompressSync, xerialDecompressSync)
