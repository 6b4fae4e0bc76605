// Every compression codec Conduit speaks, by the name drivers map their wire codes to.

export type { Codec } from './codec.ts'
export { COMPRESSION_INVALID, DECOMPRESSED_TOO_LARGE } from './codec.ts'
import { gzip } from './gzip.ts'
import { deflate } from './deflate.ts'
import { snappy } from './snappy.ts'
import { snappyXerial } from './snappy-xerial.ts'
import { lz4Block } from './lz4-block.ts'
import { lz4Frame } from './lz4-frame.ts'
import { zstd } from './zstd.ts'

export { gzip, deflate, snappy, snappyXerial, lz4Block, lz4Frame, zstd }

export const codecs = { gzip, deflate, snappy, snappyXerial, lz4Block, lz4Frame, zstd } as const

export type CodecName = keyof typeof codecs
