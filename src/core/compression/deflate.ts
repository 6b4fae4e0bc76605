// zlib-wrapped deflate (RFC 1950): Pulsar's ZLIB compression type (the Java client uses
// java.util.zip.Deflater with its default zlib header).

import zlib from 'node:zlib'
import { zlibCodec } from './zlib-codec.ts'

export const deflate = zlibCodec('deflate', {
  compress: zlib.deflate,
  compressSync: zlib.deflateSync,
  decompress: zlib.inflate,
  decompressSync: zlib.inflateSync,
})
