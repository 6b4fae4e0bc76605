// CRC-32C (Castagnoli), the checksum of Kafka record batches (and of Pulsar's message frames).
// It runs over every produced and fetched byte, so it is computed with slicing-by-16: sixteen
// 256-entry tables let the loop fold 16 input bytes per iteration with independent lookups
// instead of one dependent lookup per byte (several times faster than the bytewise loop in V8).
// On little-endian machines (all that Node runs on in practice) the 16 bytes are read as four
// aligned 32-bit words rather than sixteen single bytes, which cuts the loads of the loop by four.

const POLY = 0x82f63b78 // reflected Castagnoli polynomial

const SLICES = 16
/** TABLE[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLE = buildTable()

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
/** Below this many bytes a word view costs more than it saves. */
const WORDS_FROM = 128

function buildTable(): Int32Array {
  const t = new Int32Array(SLICES * 256)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[b] = c
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!
    for (let k = 1; k < SLICES; k++) {
      c = t[c & 0xff]! ^ (c >>> 8)
      t[k * 256 + b] = c
    }
  }
  return t
}

/**
 * The CRC-32C of `data` as an unsigned 32-bit number. Pass a previous result as `crc` to continue
 * it over more bytes: `crc32c(b, crc32c(a))` equals the CRC of `a` followed by `b`.
 */
export function crc32c(data: Uint8Array, crc = 0): number {
  const t = TABLE
  let c = ~crc | 0
  let i = 0
  const n = data.length
  if (LITTLE_ENDIAN && n >= WORDS_FROM) {
    // Bytewise up to a 4-byte boundary of the underlying buffer, then 16 bytes per round as words.
    const base = data.byteOffset
    while (((base + i) & 3) !== 0) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8)
    const words = ((n - i) >>> 4) << 2
    const w = new Int32Array(data.buffer, base + i, words)
    for (let j = 0; j < words; j += 4) {
      const a = c ^ w[j]!
      const b = w[j + 1]!
      const d = w[j + 2]!
      const e = w[j + 3]!
      c =
        t[3840 + (a & 0xff)]! ^
        t[3584 + ((a >>> 8) & 0xff)]! ^
        t[3328 + ((a >>> 16) & 0xff)]! ^
        t[3072 + (a >>> 24)]! ^
        t[2816 + (b & 0xff)]! ^
        t[2560 + ((b >>> 8) & 0xff)]! ^
        t[2304 + ((b >>> 16) & 0xff)]! ^
        t[2048 + (b >>> 24)]! ^
        t[1792 + (d & 0xff)]! ^
        t[1536 + ((d >>> 8) & 0xff)]! ^
        t[1280 + ((d >>> 16) & 0xff)]! ^
        t[1024 + (d >>> 24)]! ^
        t[768 + (e & 0xff)]! ^
        t[512 + ((e >>> 8) & 0xff)]! ^
        t[256 + ((e >>> 16) & 0xff)]! ^
        t[e >>> 24]!
    }
    i += words * 4
  } else {
    const end16 = n - (n % 16)
    while (i < end16) {
      const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
      c =
        t[3840 + (a & 0xff)]! ^
        t[3584 + ((a >>> 8) & 0xff)]! ^
        t[3328 + ((a >>> 16) & 0xff)]! ^
        t[3072 + (a >>> 24)]! ^
        t[2816 + data[i + 4]!]! ^
        t[2560 + data[i + 5]!]! ^
        t[2304 + data[i + 6]!]! ^
        t[2048 + data[i + 7]!]! ^
        t[1792 + data[i + 8]!]! ^
        t[1536 + data[i + 9]!]! ^
        t[1280 + data[i + 10]!]! ^
        t[1024 + data[i + 11]!]! ^
        t[768 + data[i + 12]!]! ^
        t[512 + data[i + 13]!]! ^
        t[256 + data[i + 14]!]! ^
        t[data[i + 15]!]!
      i += 16
    }
  }
  while (i < n) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
