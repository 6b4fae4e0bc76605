// Compressed message bodies. Which codec a body uses travels in sysFlag bits 8–10
// (protocol/message-ext.ts); the codecs themselves are the shared ones in src/core/compression.
// RocketMQ's Java client writes zlib streams (java.util.zip Deflater, i.e. RFC 1950), LZ4 in the
// LZ4 *frame* format (lz4-java LZ4FrameOutputStream) and zstd frames.

import { codecs, type Codec } from '../core/compression/index.ts'
import { ProtocolError } from '../core/errors.ts'
import type { BodyCompression } from './protocol/message-ext.ts'

export type CompressionCodec = Exclude<BodyCompression, 'none'>

function codecFor(name: CompressionCodec): Codec {
  return name === 'zlib' ? codecs.deflate : name === 'lz4' ? codecs.lz4Frame : codecs.zstd
}

export async function compressBody(codec: CompressionCodec, body: Uint8Array): Promise<Uint8Array> {
  return codecFor(codec).compress(body)
}

/** Decompresses a pulled body; more than `maxBytes` of output is a ProtocolError, not an allocation. */
export async function decompressBody(
  codec: BodyCompression,
  body: Uint8Array,
  maxBytes: number,
): Promise<Uint8Array> {
  if (codec === 'none') return body
  try {
    return await codecFor(codec).decompress(body, maxBytes)
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause
    throw new ProtocolError(`cannot decompress a ${codec} message body: ${(cause as Error).message}`, {
      cause,
    })
  }
}
