// xxHash32 (Yann Collet), the checksum of the LZ4 frame format: header checksum, optional block
// and content checksums. Written from the xxHash specification (doc/xxhash_spec.md).

const P1 = 0x9e3779b1
const P2 = 0x85ebca77
const P3 = 0xc2b2ae3d
const P4 = 0x27d4eb2f
const P5 = 0x165667b1

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function lane(data: Uint8Array, i: number): number {
  return data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
}

function round(acc: number, input: number): number {
  return Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1)
}

/** xxHash32 of `data` with `seed` (default 0), as an unsigned 32-bit number. */
export function xxhash32(data: Uint8Array, seed = 0): number {
  const len = data.length
  let i = 0
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0
    let v2 = (seed + P2) | 0
    let v3 = seed | 0
    let v4 = (seed - P1) | 0
    const limit = len - 16
    while (i <= limit) {
      v1 = round(v1, lane(data, i))
      v2 = round(v2, lane(data, i + 4))
      v3 = round(v3, lane(data, i + 8))
      v4 = round(v4, lane(data, i + 12))
      i += 16
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = (seed + P5) | 0
  }
  h = (h + len) | 0
  while (i + 4 <= len) {
    h = Math.imul(rotl((h + Math.imul(lane(data, i), P3)) | 0, 17), P4)
    i += 4
  }
  while (i < len) {
    h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) | 0, 11), P1)
    i++
  }
  h ^= h >>> 15
  h = Math.imul(h, P2)
  h ^= h >>> 13
  h = Math.imul(h, P3)
  h ^= h >>> 16
  return h >>> 0
}
