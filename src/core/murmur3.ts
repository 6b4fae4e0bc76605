// The two hashes Pulsar clients route keys with: MurmurHash3 x86_32 (the default
// `Murmur3_32Hash` key hashing) and Java's String.hashCode (the legacy `JavaStringHash`). A
// producer that hashes differently from the Java client breaks key ordering across clients.

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

function mixK1(k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  return Math.imul(k, C2)
}

/** Standard MurmurHash3 x86_32 of `data`, as an unsigned 32-bit integer. */
export function murmur3_32(data: Uint8Array, seed = 0): number {
  const length = data.length
  let h = seed | 0
  const blocksEnd = length & ~3
  for (let i = 0; i < blocksEnd; i += 4) {
    const k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    h ^= mixK1(k)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = length & 3
  if (tail > 0) {
    let k = 0
    if (tail === 3) k ^= data[blocksEnd + 2]! << 16
    if (tail >= 2) k ^= data[blocksEnd + 1]! << 8
    k ^= data[blocksEnd]!
    h ^= mixK1(k)
  }
  h ^= length
  return fmix32(h) >>> 0
}

/**
 * Java's `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapped to a
 * signed 32-bit integer. JavaScript strings are UTF-16 too, so charCodeAt gives the same units.
 */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}
