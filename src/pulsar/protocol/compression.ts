// Payload compression by MessageMetadata.compression. The codecs are the shared ones in
// src/core/compression (LZ4 block, ZLIB, ZSTD, raw Snappy: the exact formats the Java client
// writes). They are imported on first use so an application that never compresses never loads them.

import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { ConfigError, ProtocolError } from '../../core/errors.ts'
import { CompressionType } from './generated/pulsar-api_pb.ts'

export type CompressionName = 'none' | 'lz4' | 'zlib' | 'zstd' | 'snappy'

export const COMPRESSION_BY_NAME: Record<CompressionName, CompressionType> = {
  none: CompressionType.NONE,
  lz4: CompressionType.LZ4,
  zlib: CompressionType.ZLIB,
  zstd: CompressionType.ZSTD,
  snappy: CompressionType.SNAPPY,
}

export function compressionType(name: string | undefined): CompressionType {
  if (name === undefined) return CompressionType.NONE
  const t = COMPRESSION_BY_NAME[name.toLowerCase() as CompressionName]
  if (t === undefined)
    throw new ConfigError(`unknown compression "${name}": use none, lz4, zlib, zstd or snappy`)
  return t
}

interface Codec {
  compress(data: Uint8Array): Promise<Uint8Array>
  decompress(data: Uint8Array, maxOutputBytes: number): Promise<Uint8Array>
}

async function codecFor(type: CompressionType): Promise<Codec> {
  const { codecs } = await import('../../core/compression/index.ts')
  switch (type) {
    case CompressionType.LZ4:
      return codecs.lz4Block
    case CompressionType.ZLIB:
      return codecs.deflate
    case CompressionType.ZSTD:
      return codecs.zstd
    case CompressionType.SNAPPY:
      return codecs.snappy
    default:
      throw new ProtocolError(`unknown Pulsar compression type ${String(type)}`)
  }
}

export async function compress(type: CompressionType, data: Uint8Array): Promise<Uint8Array> {
  if (type === CompressionType.NONE) return data
  return (await codecFor(type)).compress(data)
}

const inflateAsync = promisify(zlib.inflate)

/**
 * Pulsar's ZLIB as the Java client writes it: Deflater with SYNC_FLUSH, never finished, so the
 * stream has no final block or checksum. The generic deflate codec rightly rejects such a stream
 * as truncated; here truncation is caught instead by the exact uncompressed size the metadata
 * announces (and by the frame's CRC-32C).
 */
async function inflatePulsarZlib(data: Uint8Array, size: number): Promise<Uint8Array> {
  try {
    return await inflateAsync(data, {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: Math.max(1, size),
    })
  } catch (cause) {
    throw new ProtocolError(`malformed ZLIB payload: ${(cause as Error).message}`, { cause })
  }
}

/**
 * Decompresses to exactly `uncompressedSize` bytes. That size is the sender's claim, read from the
 * wire: it is checked against `maxBytes` (the client's own limit) before any output is allocated,
 * so a forged metadata cannot make the client reserve gigabytes.
 */
export async function decompress(
  type: CompressionType,
  data: Uint8Array,
  uncompressedSize: number,
  maxBytes: number,
): Promise<Uint8Array> {
  if (type === CompressionType.NONE) return data
  if (!Number.isInteger(uncompressedSize) || uncompressedSize < 0 || uncompressedSize > maxBytes) {
    throw new ProtocolError(
      `uncompressed size ${uncompressedSize} announced by the message exceeds the client's limit of ${maxBytes} bytes (maxFrameBytes)`,
    )
  }
  const out =
    type === CompressionType.ZLIB
      ? await inflatePulsarZlib(data, uncompressedSize)
      : await (await codecFor(type)).decompress(data, uncompressedSize)
  if (out.length !== uncompressedSize) {
    throw new ProtocolError(
      `decompressed ${out.length} bytes where the metadata promised ${uncompressedSize}`,
    )
  }
  return out
}
