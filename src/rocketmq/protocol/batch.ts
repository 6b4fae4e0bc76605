// Batch send body (SEND_BATCH_MESSAGE, header `m` = true): each message encoded as
// MessageDecoder.encodeMessage does it, back to back —
//   int32 totalSize  int32 magic (0)  int32 bodyCRC (0)  int32 flag  int32 bodyLength, body
//   int16 propertiesLength, properties
// The broker computes the CRC and stamps the rest; every message of a batch has the same topic.

import { ProtocolError } from '../../core/errors.ts'
import { encodeProperties } from './properties.ts'

export interface BatchEntry {
  body: Uint8Array
  flag?: number
  properties: Readonly<Record<string, string>>
}

const encoder = new TextEncoder()

export function encodeBatch(entries: readonly BatchEntry[]): Uint8Array {
  const encoded = entries.map((e) => {
    const properties = encoder.encode(encodeProperties(e.properties))
    if (properties.length > 0x7fff)
      throw new ProtocolError(`message properties of ${properties.length} bytes exceed 32767`)
    return { e, properties }
  })
  let total = 0
  for (const { e, properties } of encoded) total += 22 + e.body.length + properties.length
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (const { e, properties } of encoded) {
    const size = 22 + e.body.length + properties.length
    at = out.writeInt32BE(size, at)
    at = out.writeInt32BE(0, at)
    at = out.writeInt32BE(0, at)
    at = out.writeInt32BE(e.flag ?? 0, at)
    at = out.writeInt32BE(e.body.length, at)
    out.set(e.body, at)
    at += e.body.length
    at = out.writeInt16BE(properties.length, at)
    out.set(properties, at)
    at += properties.length
  }
  return out
}
