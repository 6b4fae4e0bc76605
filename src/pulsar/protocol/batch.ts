// Batched payloads: the (uncompressed) payload of a MESSAGE whose metadata says
// num_messages_in_batch = N is N entries of
//
//   [singleMetadataSize u32][SingleMessageMetadata][payload of payload_size bytes]
//
// Decoding is bounded by the payload: a size that points past it is a ProtocolError, and the
// entry count comes from the metadata but is checked against what the bytes really hold.

import { ProtocolError } from '../../core/errors.ts'
import { encodeSingleMetadata } from './fast-single-metadata.ts'
import type { SingleMetadataFields } from './fast-single-metadata.ts'
import { decodeSingleMetadata } from './single-metadata-decode.ts'
import type { SingleEntryMetadata } from './single-metadata-decode.ts'

export type { SingleMetadataFields, SingleEntryMetadata }

export interface BatchEntry {
  metadata: SingleEntryMetadata
  payload: Uint8Array
}

/**
 * Encodes one entry of a batch; the payload size is taken from `payload`. The reference form: the
 * producer writes whole batches in one pass (encodeBatchPayload in producer/op-send.ts), and its
 * tests compare that against these entries.
 */
export function encodeBatchEntry(
  metadata: Omit<SingleMetadataFields, 'payloadSize'>,
  payload: Uint8Array,
): Uint8Array[] {
  const meta = encodeSingleMetadata({ ...metadata, payloadSize: payload.length })
  const size = new Uint8Array(4)
  new DataView(size.buffer).setUint32(0, meta.length)
  return [size, meta, payload]
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export function decodeBatch(payload: Uint8Array, count: number): BatchEntry[] {
  if (!Number.isInteger(count) || count < 0) throw new ProtocolError(`invalid batch size ${count}`)
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const entries: BatchEntry[] = []
  let o = 0
  for (let i = 0; i < count; i++) {
    if (payload.length - o < 4) throw new ProtocolError(`batch entry ${i} of ${count} is truncated`)
    const metaSize = dv.getUint32(o)
    o += 4
    if (metaSize > payload.length - o)
      throw new ProtocolError(`batch entry ${i} metadata size ${metaSize} exceeds the payload`)
    let metadata: SingleEntryMetadata
    try {
      metadata = decodeSingleMetadata(payload, o, o + metaSize)
    } catch (cause) {
      throw new ProtocolError(`malformed single message metadata in batch entry ${i}`, { cause })
    }
    o += metaSize
    const size = metadata.payloadSize
    if (size < 0 || size > payload.length - o)
      throw new ProtocolError(`batch entry ${i} payload size ${size} exceeds the payload`)
    entries.push({ metadata, payload: payload.subarray(o, o + size) })
    o += size
  }
  return entries
}
