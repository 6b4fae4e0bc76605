// The shape every compression codec has, and the two ways decompression fails. Decompression
// reads bytes from the network, so it is treated as hostile input: malformed data is a
// ProtocolError, and no codec ever produces (or allocates) more than the caller's bound — a few
// kilobytes of crafted input must not be able to claim gigabytes (a decompression bomb).

import { ConfigError, ProtocolError } from '../errors.ts'

export interface Codec {
  /** Lower-case name, e.g. 'gzip', 'lz4-frame'. */
  readonly name: string
  compress(data: Uint8Array): Promise<Uint8Array>
  /** Rejects with ProtocolError on malformed input or when the output would exceed maxOutputBytes. */
  decompress(data: Uint8Array, maxOutputBytes: number): Promise<Uint8Array>
  compressSync(data: Uint8Array): Uint8Array
  decompressSync(data: Uint8Array, maxOutputBytes: number): Uint8Array
}

/** Stable codes for the two failures, so callers can tell a bomb from corruption. */
export const COMPRESSION_INVALID = 'CONDUIT_COMPRESSION_INVALID'
export const DECOMPRESSED_TOO_LARGE = 'CONDUIT_DECOMPRESSED_TOO_LARGE'

export function malformed(codec: string, why: string, cause?: unknown): ProtocolError {
  return new ProtocolError(`malformed ${codec} data: ${why}`, { code: COMPRESSION_INVALID, cause })
}

export function tooLarge(codec: string, limit: number, declared?: number): ProtocolError {
  const what = declared === undefined ? 'decompressed data' : `decompressed size ${declared}`
  return new ProtocolError(`${codec}: ${what} exceeds the limit of ${limit} bytes`, {
    code: DECOMPRESSED_TOO_LARGE,
  })
}

export function checkMaxOutput(maxOutputBytes: number): void {
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
    throw new ConfigError(`maxOutputBytes must be a non-negative integer, got ${String(maxOutputBytes)}`)
  }
}

/** A Codec whose work is synchronous (pure TypeScript): the async forms just wrap the sync ones. */
export function syncCodec(
  name: string,
  compressSync: (data: Uint8Array) => Uint8Array,
  decompressSync: (data: Uint8Array, maxOutputBytes: number) => Uint8Array,
): Codec {
  const decompressChecked = (data: Uint8Array, maxOutputBytes: number): Uint8Array => {
    checkMaxOutput(maxOutputBytes)
    return decompressSync(data, maxOutputBytes)
  }
  return Object.freeze({
    name,
    compressSync,
    decompressSync: decompressChecked,
    compress: async (data: Uint8Array) => compressSync(data),
    decompress: async (data: Uint8Array, maxOutputBytes: number) => decompressChecked(data, maxOutputBytes),
  })
}
