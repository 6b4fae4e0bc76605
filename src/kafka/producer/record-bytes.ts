// Keys and values given as strings become UTF-8 bytes once per send. Keys are usually short ASCII
// ids, and for those TextEncoder.encode costs far more than the copy itself (a call into the
// runtime per string, ~0.5 µs): a plain loop over the characters is several times cheaper. Any
// other string (non-ASCII, or long enough that the encoder's bulk copy wins) goes to TextEncoder.

const encoder = new TextEncoder()

/** Strings up to this length take the ASCII loop; longer ones go straight to TextEncoder. */
const ASCII_LOOP_MAX = 64

/** UTF-8 bytes of a string, or the bytes themselves. */
export function recordBytes(value: string | Uint8Array): Uint8Array {
  if (typeof value !== 'string') return value
  const n = value.length
  if (n <= ASCII_LOOP_MAX) {
    const out = new Uint8Array(n)
    let i = 0
    for (; i < n; i++) {
      const c = value.charCodeAt(i)
      if (c > 0x7f) break
      out[i] = c
    }
    if (i === n) return out
  }
  return encoder.encode(value)
}

/** recordBytes for a key or value that may be absent (null stays null: a null key or value). */
export function optionalRecordBytes(value: string | Uint8Array | null | undefined): Uint8Array | null {
  return value === null || value === undefined ? null : recordBytes(value)
}
