// The raw LZ4 block format (lz4/doc/lz4_Block_format.md), which Pulsar uses as is (the
// uncompressed size travels in the message metadata) and the LZ4 frame format wraps:
//
//   sequence = token, [literal length bytes], literals, offset (2 bytes LE), [match length bytes]
//   token    = literal length (high 4 bits) | match length - 4 (low 4 bits); 15 in either nibble
//              means "add the following bytes, each 255 continuing"
//   The last sequence has literals only (no offset); offset 0 is invalid; a match may overlap.
//
// The compressor keeps the format's end-of-block rules that other decoders rely on: the last 5
// bytes are literals and no match starts within the last 12 bytes. Matches are found through a
// hash table of 4-byte sequences, with the lookup step growing through incompressible data.

import { malformed, syncCodec, tooLarge } from './codec.ts'

const NAME = 'lz4 block'
const MIN_MATCH = 4
const LAST_LITERALS = 5
const MF_LIMIT = 12
const MAX_OFFSET = 65535
const HASH_BITS = 16
const hashTable = new Int32Array(1 << HASH_BITS)

/** The largest compressed size of n input bytes (LZ4_COMPRESSBOUND). */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16
}

function load32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24)
}

function writeLength(out: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    out[op++] = 255
    rest -= 255
  }
  out[op++] = rest
  return op
}

/** Writes one sequence (literals src[litStart, litEnd) then a match, unless matchLen is 0). */
function emitSequence(
  src: Uint8Array,
  litStart: number,
  litEnd: number,
  out: Uint8Array,
  op: number,
  offset: number,
  matchLen: number,
): number {
  const litLen = litEnd - litStart
  const tokenAt = op++
  let token = (litLen >= 15 ? 15 : litLen) << 4
  if (litLen >= 15) op = writeLength(out, op, litLen - 15)
  out.set(src.subarray(litStart, litEnd), op)
  op += litLen
  if (matchLen > 0) {
    out[op++] = offset & 0xff
    out[op++] = offset >>> 8
    const ml = matchLen - MIN_MATCH
    token |= ml >= 15 ? 15 : ml
    if (ml >= 15) op = writeLength(out, op, ml - 15)
  }
  out[tokenAt] = token
  return op
}

/** Compresses src[start, end) as one independent block into out at op; returns the new op. */
export function lz4CompressBlockInto(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  op: number,
): number {
  const length = end - start
  let anchor = start
  if (length >= MF_LIMIT + 1) {
    // A table sized to the input: clearing 256 KiB for a 1 KiB message would cost more than
    // compressing it.
    let bits = 10
    while (bits < HASH_BITS && 1 << bits < length) bits++
    const shift = 32 - bits
    const hash = (v: number): number => Math.imul(v, 0x9e3779b1) >>> shift
    const table = hashTable
    table.fill(-1, 0, 1 << bits)
    const matchStartLimit = end - MF_LIMIT // no match may start at or after this
    const matchEndLimit = end - LAST_LITERALS // no match may extend past this
    let ip = start
    table[hash(load32(src, ip))] = ip
    ip++
    outer: while (ip < matchStartLimit) {
      let step = 1
      let searches = 1 << 6
      let candidate: number
      while (true) {
        const seq = load32(src, ip)
        const h = hash(seq)
        candidate = table[h]!
        table[h] = ip
        if (candidate >= start && ip - candidate <= MAX_OFFSET && load32(src, candidate) === seq) break
        ip += step
        step = searches++ >>> 6
        if (ip >= matchStartLimit) break outer
      }
      // Extend backwards over equal bytes not yet emitted, then forwards.
      while (ip > anchor && candidate > start && src[ip - 1] === src[candidate - 1]) {
        ip--
        candidate--
      }
      let matchEnd = ip + MIN_MATCH
      let ref = candidate + MIN_MATCH
      while (matchEnd < matchEndLimit && src[matchEnd] === src[ref]) {
        matchEnd++
        ref++
      }
      op = emitSequence(src, anchor, ip, out, op, ip - candidate, matchEnd - ip)
      anchor = matchEnd
      // Index a position inside the match so the next search has fresh candidates.
      if (matchEnd - 2 > start && matchEnd - 2 < matchStartLimit)
        table[hash(load32(src, matchEnd - 2))] = matchEnd - 2
      ip = matchEnd
    }
  }
  return emitSequence(src, anchor, end, out, op, 0, 0)
}

export function lz4BlockCompressSync(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(lz4CompressBound(src.length))
  const n = lz4CompressBlockInto(src, 0, src.length, out, 0)
  return n * 2 < out.length ? out.slice(0, n) : out.subarray(0, n)
}

/**
 * Where decoded bytes go: a buffer that may grow (doubling) up to `limit`, the most the caller
 * accepts. A block that needs more than `limit` fails with `tooLarge` before writing past it.
 */
export interface Lz4Output {
  buf: Uint8Array
  limit: number
}

/** Makes room for `need` more bytes at `op`, or throws tooLarge when that passes the limit. */
export function lz4Reserve(out: Lz4Output, op: number, need: number): void {
  if (need > out.limit - op) throw tooLarge(NAME, out.limit)
  if (op + need <= out.buf.length) return
  const bigger = new Uint8Array(Math.min(out.limit, Math.max(op + need, out.buf.length * 2)))
  bigger.set(out.buf.subarray(0, op))
  out.buf = bigger
}

/**
 * Decodes one block from `src` into `out` starting at `outStart`; returns the end position.
 * Matches may reach back to `windowStart`: the block's own start for independent blocks, earlier
 * output for the linked blocks of the frame format.
 */
export function lz4DecompressBlockInto(
  src: Uint8Array,
  out: Lz4Output,
  outStart: number,
  windowStart: number,
): number {
  const n = src.length
  let ip = 0
  let op = outStart
  let buf = out.buf
  if (n === 0) throw malformed(NAME, 'empty block')
  while (true) {
    if (ip >= n) throw malformed(NAME, 'truncated sequence')
    const token = src[ip++]!
    let litLen = token >>> 4
    if (litLen === 15) {
      let b: number
      do {
        if (ip >= n) throw malformed(NAME, 'truncated literal length')
        b = src[ip++]!
        litLen += b
      } while (b === 255)
    }
    if (litLen > n - ip) throw malformed(NAME, 'literals run past the end of the input')
    if (litLen > buf.length - op) {
      lz4Reserve(out, op, litLen)
      buf = out.buf
    }
    if (litLen > 16) {
      buf.set(src.subarray(ip, ip + litLen), op)
      ip += litLen
      op += litLen
    } else {
      // Short literals: a loop is cheaper than creating a subarray view.
      for (let k = 0; k < litLen; k++) buf[op++] = src[ip++]!
    }
    if (ip === n) return op // the last sequence: literals only
    if (ip + 2 > n) throw malformed(NAME, 'truncated match offset')
    const offset = src[ip]! | (src[ip + 1]! << 8)
    ip += 2
    if (offset === 0 || offset > op - windowStart)
      throw malformed(NAME, `match offset ${offset} out of range`)
    let matchLen = (token & 15) + MIN_MATCH
    if ((token & 15) === 15) {
      let b: number
      do {
        if (ip >= n) throw malformed(NAME, 'truncated match length')
        b = src[ip++]!
        matchLen += b
      } while (b === 255)
    }
    if (matchLen > buf.length - op) {
      lz4Reserve(out, op, matchLen)
      buf = out.buf
    }
    let from = op - offset
    if (offset >= matchLen && matchLen > 32) {
      buf.copyWithin(op, from, from + matchLen)
      op += matchLen
    } else {
      // Short or overlapping match: a byte loop (overlap repeats the last `offset` bytes).
      const stop = op + matchLen
      while (op < stop) buf[op++] = buf[from++]!
    }
  }
}

/**
 * Decompresses a raw block whose uncompressed size is not known, growing the output up to
 * maxOutputBytes. When the size is known (Pulsar metadata), pass it as maxOutputBytes.
 */
export function lz4BlockDecompressSync(src: Uint8Array, maxOutputBytes: number): Uint8Array {
  // LZ4 expands at most ~255x; start from a typical ratio and let the output grow, never past the bound.
  const out: Lz4Output = {
    buf: new Uint8Array(Math.min(maxOutputBytes, Math.max(64, src.length * 4))),
    limit: maxOutputBytes,
  }
  const end = lz4DecompressBlockInto(src, out, 0, 0)
  return end === out.buf.length ? out.buf : out.buf.slice(0, end)
}

export const lz4Block = syncCodec('lz4-block', lz4BlockCompressSync, lz4BlockDecompressSync)
