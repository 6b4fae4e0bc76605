// The LZ4 frame format (lz4/doc/lz4_Frame_format.md), Kafka's compression type 3:
//
//   frame      = magic 0x184D2204 (LE), descriptor, block*, end mark (4 zero bytes), [content checksum]
//   descriptor = FLG, BD, [content size: 8 bytes LE], [dictionary id: 4 bytes LE], HC
//     FLG: version (bits 7-6, must be 01), block independence (5), block checksum (4),
//          content size (3), content checksum (2), reserved (1, must be 0), dictionary id (0)
//     BD:  block maximum size (bits 6-4: 4=64 KiB, 5=256 KiB, 6=1 MiB, 7=4 MiB), other bits 0
//     HC:  (xxHash32(descriptor from FLG up to HC) >> 8) & 0xFF
//   block      = size (4 bytes LE; high bit set = stored uncompressed), data, [xxHash32 of data]
//   content checksum = xxHash32 of the whole decompressed content
//   Skippable frames (magic 0x184D2A50..5F, 4-byte LE size, data) may sit between frames.
//
// The writer produces what Kafka's Java client writes (KafkaLZ4BlockOutputStream / Lz4BlockOutputStream):
// FLG 0x60 (version 1, independent blocks, no checksums), BD 0x40 (64 KiB blocks); a block that
// does not shrink is stored uncompressed. The reader accepts every option of the format, and also
// the header checksum Kafka clients before 0.10 computed over the magic number too (KAFKA-3160),
// which message format v0 still carries.

import { malformed, syncCodec, tooLarge } from './codec.ts'
import {
  lz4CompressBlockInto,
  lz4CompressBound,
  lz4DecompressBlockInto,
  lz4Reserve,
  type Lz4Output,
} from './lz4-block.ts'
import { xxhash32 } from '../xxhash32.ts'

const NAME = 'lz4 frame'
const MAGIC = 0x184d2204
const BLOCK_BYTES = 64 * 1024
const FLG_VERSION_MASK = 0xc0
const FLG_VERSION = 0x40
const FLG_INDEPENDENT = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_RESERVED = 0x02
const FLG_DICT_ID = 0x01
const UNCOMPRESSED_BIT = 0x80000000
const MAX_BLOCK_BYTES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 }

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff
  out[at + 1] = (v >>> 8) & 0xff
  out[at + 2] = (v >>> 16) & 0xff
  out[at + 3] = v >>> 24
}

function readU32(src: Uint8Array, at: number): number {
  return (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0
}

export function lz4FrameCompressSync(src: Uint8Array): Uint8Array {
  const fullBlocks = Math.floor(src.length / BLOCK_BYTES)
  const rest = src.length % BLOCK_BYTES
  const bound =
    7 + fullBlocks * (4 + lz4CompressBound(BLOCK_BYTES)) + (rest ? 4 + lz4CompressBound(rest) : 0) + 4
  const out = new Uint8Array(bound)
  writeU32(out, 0, MAGIC)
  out[4] = FLG_VERSION | FLG_INDEPENDENT
  out[5] = 4 << 4
  out[6] = (xxhash32(out.subarray(4, 6)) >>> 8) & 0xff
  let op = 7
  for (let start = 0; start < src.length; start += BLOCK_BYTES) {
    const end = Math.min(src.length, start + BLOCK_BYTES)
    const dataAt = op + 4
    const compressedEnd = lz4CompressBlockInto(src, start, end, out, dataAt)
    const size = compressedEnd - dataAt
    if (size < end - start) {
      writeU32(out, op, size)
      op = compressedEnd
    } else {
      writeU32(out, op, (end - start) | UNCOMPRESSED_BIT)
      out.set(src.subarray(start, end), dataAt)
      op = dataAt + (end - start)
    }
  }
  writeU32(out, op, 0) // end mark
  op += 4
  return op * 2 < out.length ? out.slice(0, op) : out.subarray(0, op)
}

/** Decodes one frame starting at `pos` into `out` at `op`; returns [new pos, new op]. */
function decodeFrame(src: Uint8Array, pos: number, out: Lz4Output, op: number): [number, number] {
  const n = src.length
  const frameStart = pos
  if (pos + 7 > n) throw malformed(NAME, 'truncated frame header')
  pos += 4 // magic, checked by the caller
  const flg = src[pos]!
  const bd = src[pos + 1]!
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION)
    throw malformed(NAME, `unsupported version in FLG 0x${flg.toString(16)}`)
  if (flg & FLG_RESERVED) throw malformed(NAME, 'reserved FLG bit set')
  if (bd & 0x8f) throw malformed(NAME, 'reserved BD bits set')
  const maxBlock = MAX_BLOCK_BYTES[(bd >>> 4) & 7]
  if (maxBlock === undefined) throw malformed(NAME, `invalid block maximum size in BD 0x${bd.toString(16)}`)
  const descriptorEnd = pos + 2 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0)
  if (descriptorEnd + 1 > n) throw malformed(NAME, 'truncated frame descriptor')
  if (flg & FLG_DICT_ID) throw malformed(NAME, 'frames that need a preset dictionary are not supported')
  let contentSize: number | undefined
  if (flg & FLG_CONTENT_SIZE) {
    const lo = readU32(src, pos + 2)
    const hi = readU32(src, pos + 6)
    contentSize = hi * 2 ** 32 + lo
    if (contentSize > out.limit - op) throw tooLarge(NAME, out.limit, contentSize)
  }
  const hc = src[descriptorEnd]!
  const expected = (xxhash32(src.subarray(pos, descriptorEnd)) >>> 8) & 0xff
  const legacyKafka = (xxhash32(src.subarray(frameStart, descriptorEnd)) >>> 8) & 0xff
  if (hc !== expected && hc !== legacyKafka) throw malformed(NAME, 'frame header checksum mismatch')
  pos = descriptorEnd + 1

  const independent = (flg & FLG_INDEPENDENT) !== 0
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0
  const contentStart = op
  while (true) {
    if (pos + 4 > n) throw malformed(NAME, 'truncated block size')
    const word = readU32(src, pos)
    pos += 4
    if (word === 0) break // end mark
    const size = word & 0x7fffffff
    if (size > maxBlock)
      throw malformed(NAME, `block of ${size} bytes exceeds the frame's maximum ${maxBlock}`)
    if (size > n - pos - (blockChecksum ? 4 : 0))
      throw malformed(NAME, 'block runs past the end of the input')
    const data = src.subarray(pos, pos + size)
    pos += size
    if (blockChecksum) {
      if (readU32(src, pos) !== xxhash32(data)) throw malformed(NAME, 'block checksum mismatch')
      pos += 4
    }
    const blockStart = op
    if (word & UNCOMPRESSED_BIT) {
      lz4Reserve(out, op, size)
      out.buf.set(data, op)
      op += size
    } else {
      // Linked blocks may refer back up to 64 KiB into earlier blocks of the same frame.
      op = lz4DecompressBlockInto(data, out, op, independent ? op : Math.max(contentStart, op - 65536))
    }
    if (op - blockStart > maxBlock)
      throw malformed(NAME, `block decodes to more than the frame's maximum ${maxBlock}`)
  }
  if (contentSize !== undefined && op - contentStart !== contentSize) {
    throw malformed(NAME, `content size ${contentSize} declared but ${op - contentStart} decoded`)
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (pos + 4 > n) throw malformed(NAME, 'truncated content checksum')
    if (readU32(src, pos) !== xxhash32(out.buf.subarray(contentStart, op))) {
      throw malformed(NAME, 'content checksum mismatch')
    }
    pos += 4
  }
  return [pos, op]
}

export function lz4FrameDecompressSync(src: Uint8Array, maxOutputBytes: number): Uint8Array {
  const out: Lz4Output = {
    buf: new Uint8Array(Math.min(maxOutputBytes, Math.max(64, src.length * 4))),
    limit: maxOutputBytes,
  }
  let pos = 0
  let op = 0
  let frames = 0
  // Concatenated frames decode as one stream, as the reference tool does.
  while (pos < src.length || frames === 0) {
    if (pos + 4 > src.length) throw malformed(NAME, 'truncated magic number')
    const magic = readU32(src, pos)
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (pos + 8 > src.length) throw malformed(NAME, 'truncated skippable frame')
      const size = readU32(src, pos + 4)
      if (size > src.length - pos - 8) throw malformed(NAME, 'skippable frame runs past the end of the input')
      pos += 8 + size
      continue
    }
    if (magic !== MAGIC) throw malformed(NAME, `bad magic number 0x${magic.toString(16)}`)
    ;[pos, op] = decodeFrame(src, pos, out, op)
    frames++
  }
  return op === out.buf.length ? out.buf : out.buf.slice(0, op)
}

export const lz4Frame = syncCodec('lz4-frame', lz4FrameCompressSync, lz4FrameDecompressSync)
