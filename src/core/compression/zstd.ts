// Zstandard (RFC 8878) through node:zlib (Node >= 22.15): Kafka compression type 4 and Pulsar's
// ZSTD. Level 3 is zstd's own default and what the Java clients use unless configured.

import zlib from 'node:zlib'
import { zlibCodec } from './zlib-codec.ts'

export const zstd = zlibCodec('zstd', {
  compress: zlib.zstdCompress,
  compressSync: zlib.zstdCompressSync,
  decompress: zlib.zstdDecompress,
  decompressSync: zlib.zstdDecompressSync,
  options: { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } },
})
