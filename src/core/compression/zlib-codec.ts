// Adapts node:zlib's gzip, zlib-deflate and zstd to the Codec shape. The async forms run on the
// libuv thread pool so large batches do not block the event loop. zlib enforces the output bound
// itself (`maxOutputLength`) while it inflates, so a bomb stops at the limit instead of after it.

import { promisify } from 'node:util'
import { checkMaxOutput, malformed, tooLarge, type Codec } from './codec.ts'

/** The options both zlib and zstd accept for what this adapter needs. */
interface Options {
  maxOutputLength?: number
}

// Method syntax on purpose: it lets zlib's and zstd's differently typed option bags fit one shape.
export interface ZlibFunctions {
  compress(data: Uint8Array, opts: Options, cb: (err: Error | null, out: Buffer) => void): void
  compressSync(data: Uint8Array, opts: Options): Buffer
  decompress(data: Uint8Array, opts: Options, cb: (err: Error | null, out: Buffer) => void): void
  decompressSync(data: Uint8Array, opts: Options): Buffer
  /** Compression options, e.g. the level. */
  options?: object
}

function translate(name: string, maxOutputBytes: number, err: unknown): Error {
  const code = (err as { code?: unknown }).code
  if (code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(name, maxOutputBytes)
  return malformed(name, err instanceof Error ? err.message : String(err), err)
}

export function zlibCodec(name: string, fns: ZlibFunctions): Codec {
  const compressAsync = promisify(fns.compress.bind(fns))
  const decompressAsync = promisify(fns.decompress.bind(fns))
  const compressOpts: Options = fns.options ?? {}
  // zlib rejects a maxOutputLength of 0, so an empty limit asks for 1 byte and checks afterwards.
  const limitOpts = (max: number): Options => ({ maxOutputLength: Math.max(1, max) })
  const within = (out: Buffer, max: number): Uint8Array => {
    if (out.length > max) throw tooLarge(name, max)
    return out
  }
  return Object.freeze({
    name,
    compressSync: (data: Uint8Array): Uint8Array => fns.compressSync(data, compressOpts),
    compress: async (data: Uint8Array): Promise<Uint8Array> => compressAsync(data, compressOpts),
    decompressSync(data: Uint8Array, maxOutputBytes: number): Uint8Array {
      checkMaxOutput(maxOutputBytes)
      let out: Buffer
      try {
        out = fns.decompressSync(data, limitOpts(maxOutputBytes))
      } catch (err) {
        throw translate(name, maxOutputBytes, err)
      }
      return within(out, maxOutputBytes)
    },
    async decompress(data: Uint8Array, maxOutputBytes: number): Promise<Uint8Array> {
      checkMaxOutput(maxOutputBytes)
      let out: Buffer
      try {
        out = await decompressAsync(data, limitOpts(maxOutputBytes))
      } catch (err) {
        throw translate(name, maxOutputBytes, err)
      }
      return within(out, maxOutputBytes)
    },
  })
}
