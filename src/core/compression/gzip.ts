// gzip (RFC 1952): Kafka compression type 1. Concatenated gzip members decode as one stream,
// as the Java client's GZIPInputStream reads them.

import zlib from 'node:zlib'
import { zlibCodec } from './zlib-codec.ts'

export const gzip = zlibCodec('gzip', {
  compress: zlib.gzip,
  compressSync: zlib.gzipSync,
  decompress: zlib.gunzip,
  decompressSync: zlib.gunzipSync,
})
