// Compression of a record batch's records section, with the framing Kafka's Java client uses
// for each codec: a gzip member, xerial-framed Snappy (bare raw blocks accepted on read), an LZ4
// frame, a zstd frame. The codecs live in src/core/compression/ and are shared by the drivers;
// this file only maps Kafka's attribute codes to them.

import { codecs, type Codec } from '../../core/compression/index.ts'
import type { Compression } from './record-batch.ts'

const KAFKA_CODECS: Readonly<Record<Exclude<Compression, 'none'>, Codec>> = {
  gzip: codecs.gzip,
  snappy: codecs.snappyXerial,
  lz4: codecs.lz4Frame,
  zstd: codecs.zstd,
}

export function compressRecords(
  compression: Exclude<Compression, 'none'>,
  data: Uint8Array,
): Promise<Uint8Array> {
  return KAFKA_CODECS[compression].compress(data)
}

/** Rejects with ProtocolError on corrupt data or when the output would exceed maxOutputBytes. */
export function decompressRecords(
  compression: Exclude<Compression, 'none'>,
  data: Uint8Array,
  maxOutputBytes: number,
): Promise<Uint8Array> {
  return KAFKA_CODECS[compression].decompress(data, maxOutputBytes)
}
