// Raw Snappy block format, written from google/snappy's format_description.txt:
//
//   block    = uncompressed length (little-endian base-128 varint, at most 32 bits), element*
//   element  = tag byte; its low 2 bits choose the kind
//     00 literal: length-1 in the upper 6 bits if < 60, else 60..63 = length-1 follows in 1..4 LE bytes
//     01 copy, 1-byte offset: length 4..11 = 4 + bits 2-4, offset 11 bits = bits 5-7 << 8 | next byte
//     10 copy, 2-byte offset: length 1..64 = upper 6 bits + 1, offset = next 2 bytes LE
//     11 copy, 4-byte offset: length 1..64 = upper 6 bits + 1, offset = next 4 bytes LE
//   A copy repeats `length` bytes starting `offset` bytes back in the output; offset 0 is invalid
//   and the copy may overlap what it produces (offset < length repeats a pattern).
//
// The compressor works on 64 KiB fragments (as the reference does) so every offset fits a 2-byte
// copy, and finds matches with a hash table of 4-byte sequences, skipping faster through data
// that does not compress.

import { malformed, syncCodec, tooLarge } from './codec.ts'

const NAME = 'snappy'
const FRAGMENT = 1 << 16
const HASH_BITS = 14
const hashTable = new Uint16Array(1 << HASH_BITS)

/** The largest compressed size of n input bytes (the reference's MaxCompressedLength). */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6)
}

function load32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24)
}

function emitLiteral(out: Uint8Array, op: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1
  if (n < 60) {
    out[op++] = n << 2
  } else if (n < 0x100) {
    out[op++] = 60 << 2
    out[op++] = n
  } else if (n < 0x10000) {
    out[op++] = 61 << 2
    out[op++] = n & 0xff
    out[op++] = n >>> 8
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2
    out[op++] = n & 0xff
    out[op++] = (n >>> 8) & 0xff
    out[op++] = n >>> 16
  } else {
    out[op++] = 63 << 2
    out[op++] = n & 0xff
    out[op++] = (n >>> 8) & 0xff
    out[op++] = (n >>> 16) & 0xff
    out[op++] = n >>> 24
  }
  out.set(src.subarray(from, to), op)
  return op + (to - from)
}

function emitCopyUpTo64(out: Uint8Array, op: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5)
    out[op++] = offset & 0xff
  } else {
    out[op++] = 2 | ((len - 1) << 2)
    out[op++] = offset & 0xff
    out[op++] = offset >>> 8
  }
  return op
}

function emitCopy(out: Uint8Array, op: number, offset: number, len: number): number {
  // Long matches are cut in 64-byte copies, keeping the last piece at least 4 bytes long so it
  // can still use the short 1-byte-offset form when the offset allows.
  while (len >= 68) {
    op = emitCopyUpTo64(out, op, offset, 64)
    len -= 64
  }
  if (len > 64) {
    op = emitCopyUpTo64(out, op, offset, 60)
    len -= 60
  }
  return emitCopyUpTo64(out, op, offset, len)
}

function writeVarint(out: Uint8Array, op: number, v: number): number {
  while (v >= 0x80) {
    out[op++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  out[op++] = v
  return op
}

/** Compresses one fragment (<= 64 KiB) of `src` [start, end) into `out` at `op`. */
function compressFragment(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  const length = end - start
  let literalStart = start
  if (length >= 15) {
    let tableBits = 8
    while (tableBits < HASH_BITS && 1 << tableBits < length) tableBits++
    const shift = 32 - tableBits
    const table = hashTable
    table.fill(0, 0, 1 << tableBits)
    // Matching stops 4 bytes before the end so every load32 stays inside the fragment.
    const matchLimit = end - 4
    let ip = start + 1
    while (ip <= matchLimit) {
      // Find a match: every 32 misses the step grows by one byte.
      let skip = 32
      let candidate = 0
      let found = false
      let next = ip
      while (true) {
        ip = next
        const step = skip++ >>> 5
        next = ip + step
        if (ip > matchLimit) break
        const h = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift
        candidate = start + table[h]!
        table[h] = ip - start
        if (candidate < ip && load32(src, candidate) === load32(src, ip)) {
          found = true
          break
        }
      }
      if (!found) break
      op = emitLiteral(out, op, src, literalStart, ip)
      // Extend the match forward and emit copies; then try an immediate repeat at the new position.
      while (true) {
        let matched = 4
        while (ip + matched < end && src[candidate + matched] === src[ip + matched]) matched++
        op = emitCopy(out, op, ip - candidate, matched)
        ip += matched
        literalStart = ip
        if (ip > matchLimit) break
        table[Math.imul(load32(src, ip - 1), 0x1e35a7bd) >>> shift] = ip - 1 - start
        const h = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift
        candidate = start + table[h]!
        table[h] = ip - start
        if (!(candidate < ip && load32(src, candidate) === load32(src, ip))) {
          ip++
          break
        }
      }
    }
  }
  if (literalStart < end) op = emitLiteral(out, op, src, literalStart, end)
  return op
}

export function snappyCompressSync(src: Uint8Array): Uint8Array {
  if (src.length > 0xffffffff) throw new RangeError('snappy cannot compress more than 4 GiB in one block')
  const out = new Uint8Array(snappyMaxCompressedLength(src.length))
  let op = writeVarint(out, 0, src.length)
  for (let start = 0; start < src.length; start += FRAGMENT) {
    op = compressFragment(src, start, Math.min(src.length, start + FRAGMENT), out, op)
  }
  // Return a right-sized copy when the slack is large, so callers do not pin the worst-case buffer.
  return op * 2 < out.length ? out.slice(0, op) : out.subarray(0, op)
}

/** The uncompressed length a raw block declares, and where its elements start. */
export function snappyUncompressedLength(src: Uint8Array): { length: number; headerBytes: number } {
  let result = 0
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw malformed(NAME, 'truncated length preamble')
    const b = src[i]!
    if (i === 4 && b > 0x0f) throw malformed(NAME, 'length preamble exceeds 32 bits')
    result += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) return { length: result, headerBytes: i + 1 }
  }
  throw malformed(NAME, 'length preamble exceeds 32 bits')
}

/**
 * The most `compressedBytes` of elements can decode to: the densest element is a 3-byte copy of
 * 64 bytes. A block declaring more is malformed, which is found before allocating its output.
 */
export function snappyMaxDecodedLength(compressedBytes: number): number {
  return Math.ceil((compressedBytes * 64) / 3)
}

export function snappyDecompressSync(src: Uint8Array, maxOutputBytes: number): Uint8Array {
  const { length, headerBytes } = snappyUncompressedLength(src)
  if (length > maxOutputBytes) throw tooLarge(NAME, maxOutputBytes, length)
  if (length > snappyMaxDecodedLength(src.length - headerBytes)) {
    throw malformed(NAME, `declares ${length} bytes, more than ${src.length} compressed bytes can hold`)
  }
  const out = new Uint8Array(length)
  let ip = headerBytes
  let op = 0
  const n = src.length
  while (ip < n) {
    const tag = src[ip++]!
    const kind = tag & 3
    if (kind === 0) {
      let len = tag >>> 2
      if (len >= 60) {
        const extra = len - 59
        if (ip + extra > n) throw malformed(NAME, 'truncated literal length')
        len = 0
        for (let k = 0; k < extra; k++) len += src[ip + k]! * 2 ** (8 * k)
        ip += extra
      }
      len += 1
      if (len > n - ip) throw malformed(NAME, 'literal runs past the end of the input')
      if (len > length - op) throw malformed(NAME, 'literal runs past the declared length')
      if (len > 16) {
        out.set(src.subarray(ip, ip + len), op)
        ip += len
        op += len
      } else {
        // Short literals: a loop is cheaper than creating a subarray view.
        for (let k = 0; k < len; k++) out[op++] = src[ip++]!
      }
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (ip >= n) throw malformed(NAME, 'truncated copy')
      len = 4 + ((tag >>> 2) & 7)
      offset = ((tag >>> 5) << 8) | src[ip++]!
    } else if (kind === 2) {
      if (ip + 2 > n) throw malformed(NAME, 'truncated copy')
      len = (tag >>> 2) + 1
      offset = src[ip]! | (src[ip + 1]! << 8)
      ip += 2
    } else {
      if (ip + 4 > n) throw malformed(NAME, 'truncated copy')
      len = (tag >>> 2) + 1
      offset = load32(src, ip) >>> 0
      ip += 4
    }
    if (offset === 0 || offset > op) throw malformed(NAME, `copy offset ${offset} at output position ${op}`)
    if (len > length - op) throw malformed(NAME, 'copy runs past the declared length')
    let from = op - offset
    if (offset >= len && len > 64) {
      out.copyWithin(op, from, from + len)
      op += len
    } else {
      // Short or overlapping copy: a byte loop (overlap repeats the last `offset` bytes).
      const stop = op + len
      while (op < stop) out[op++] = out[from++]!
    }
  }
  if (op !== length) throw malformed(NAME, `declared ${length} bytes but produced ${op}`)
  return out
}

export const snappy = syncCodec(NAME, snappyCompressSync, snappyDecompressSync)
