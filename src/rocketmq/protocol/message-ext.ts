// The "message ext" binary encoding the broker stores in its commit log and returns in pull
// responses, transaction checks and view-by-id (MessageDecoder.decode). Pull bodies are several
// of these back to back.
//
//   int32 storeSize   int32 magic (V1 -626843481, V2 -626843477)   int32 bodyCRC   int32 queueId
//   int32 flag        int64 queueOffset      int64 commitLogOffset   int32 sysFlag
//   int64 bornTimestamp   bornHost  (4 or 16 address bytes by sysFlag bit 4, then int32 port)
//   int64 storeTimestamp  storeHost (4 or 16 address bytes by sysFlag bit 5, then int32 port)
//   int32 reconsumeTimes  int64 preparedTransactionOffset
//   int32 bodyLength, body (compressed when sysFlag bit 0, codec in sysFlag bits 8–10)
//   topic: V1 int8 length, V2 int16 length; then bytes
//   int16 propertiesLength, properties (see properties.ts)

import { ProtocolError } from '../../core/errors.ts'
import { ByteReader } from './byte-reader.ts'
import { createOffsetMessageId } from './message-id.ts'
import { decodeProperties, Property } from './properties.ts'

export const MESSAGE_MAGIC_V1 = -626843481
export const MESSAGE_MAGIC_V2 = -626843477

/** MessageSysFlag.java */
export const MessageSysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_PREPARED: 0x1 << 2,
  TRANSACTION_COMMIT: 0x2 << 2,
  TRANSACTION_ROLLBACK: 0x3 << 2,
  TRANSACTION_MASK: 0x3 << 2,
  BORNHOST_V6: 0x1 << 4,
  STOREHOST_V6: 0x1 << 5,
  NEED_UNWRAP: 0x1 << 6,
  INNER_BATCH: 0x1 << 7,
  COMPRESSION_LZ4: 0x1 << 8,
  COMPRESSION_ZSTD: 0x2 << 8,
  COMPRESSION_ZLIB: 0x3 << 8,
  COMPRESSION_MASK: 0x7 << 8,
} as const

export type BodyCompression = 'none' | 'zlib' | 'lz4' | 'zstd'

/** The codec of a compressed body; 0 in bits 8–10 means zlib (clients older than 5.x). */
export function compressionOf(sysFlag: number): BodyCompression {
  if ((sysFlag & MessageSysFlag.COMPRESSED) === 0) return 'none'
  switch ((sysFlag & MessageSysFlag.COMPRESSION_MASK) >> 8) {
    case 0:
    case 3:
      return 'zlib'
    case 1:
      return 'lz4'
    case 2:
      return 'zstd'
    default:
      throw new ProtocolError(
        `unknown message compression type ${(sysFlag & MessageSysFlag.COMPRESSION_MASK) >> 8}`,
      )
  }
}

/** The sysFlag bits that announce a body compressed with `codec`. */
export function compressionSysFlag(codec: Exclude<BodyCompression, 'none'>): number {
  const type =
    codec === 'zlib'
      ? MessageSysFlag.COMPRESSION_ZLIB
      : codec === 'lz4'
        ? MessageSysFlag.COMPRESSION_LZ4
        : MessageSysFlag.COMPRESSION_ZSTD
  return MessageSysFlag.COMPRESSED | type
}

export interface MessageExt {
  topic: string
  queueId: number
  queueOffset: number
  commitLogOffset: number
  storeSize: number
  bodyCrc: number
  flag: number
  sysFlag: number
  bornTimestamp: number
  bornHost: string
  storeTimestamp: number
  storeHost: string
  reconsumeTimes: number
  preparedTransactionOffset: number
  /** The body as stored: still compressed when `compression` is not 'none' (see message-body.ts). */
  body: Uint8Array
  compression: BodyCompression
  properties: Record<string, string>
  /** The offset message id (store host + commit-log offset). */
  offsetMsgId: string
  /** The client unique key when the producer set one, else the offset id (what Java calls msgId). */
  msgId: string
}

function formatHost(address: Uint8Array, port: number): string {
  if (address.length === 4) return `${address[0]}.${address[1]}.${address[2]}.${address[3]}:${port}`
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((address[i]! << 8) | address[i + 1]!).toString(16))
  return `[${groups.join(':')}]:${port}`
}

const decoder = new TextDecoder()

/** Decodes one message ext starting at `reader.offset`, bounded by its own storeSize. */
function decodeOne(r: ByteReader): MessageExt {
  const start = r.offset
  const storeSize = r.i32('storeSize')
  if (storeSize < 4 || storeSize - 4 > r.remaining) {
    throw new ProtocolError(
      `message ext storeSize ${storeSize} does not fit the ${r.remaining + 4} bytes left`,
    )
  }
  const m = new ByteReader(r.bytes, 'message ext', r.offset, start + storeSize)
  r.advance(storeSize - 4, 'message ext')
  const magic = m.i32('magic')
  if (magic !== MESSAGE_MAGIC_V1 && magic !== MESSAGE_MAGIC_V2) {
    throw new ProtocolError(`message ext has unknown magic code ${magic}`)
  }
  const bodyCrc = m.i32('bodyCRC')
  const queueId = m.i32('queueId')
  const flag = m.i32('flag')
  const queueOffset = m.i64('queueOffset')
  const commitLogOffset = m.i64('commitLogOffset')
  const sysFlag = m.i32('sysFlag')
  const bornTimestamp = m.i64('bornTimestamp')
  const bornAddress = m.bytesOf((sysFlag & MessageSysFlag.BORNHOST_V6) !== 0 ? 16 : 4, 'bornHost')
  const bornPort = m.i32('bornHost port')
  const storeTimestamp = m.i64('storeTimestamp')
  const storeAddress = m.bytesOf((sysFlag & MessageSysFlag.STOREHOST_V6) !== 0 ? 16 : 4, 'storeHost')
  const storePort = m.i32('storeHost port')
  const reconsumeTimes = m.i32('reconsumeTimes')
  const preparedTransactionOffset = m.i64('preparedTransactionOffset')
  const body = m.lengthPrefixed32('body')
  const topicLength = magic === MESSAGE_MAGIC_V1 ? m.u8('topic length') : m.u16('topic length')
  const topic = m.utf8(topicLength, 'topic')
  const propertiesLength = m.u16('properties length')
  const properties = decodeProperties(decoder.decode(m.bytesOf(propertiesLength, 'properties')))
  const offsetMsgId = createOffsetMessageId(storeAddress, storePort, commitLogOffset)
  return {
    topic,
    queueId,
    queueOffset,
    commitLogOffset,
    storeSize,
    bodyCrc,
    flag,
    sysFlag,
    bornTimestamp,
    bornHost: formatHost(bornAddress, bornPort),
    storeTimestamp,
    storeHost: formatHost(storeAddress, storePort),
    reconsumeTimes,
    preparedTransactionOffset,
    body,
    compression: compressionOf(sysFlag),
    properties,
    offsetMsgId,
    msgId: properties[Property.UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? offsetMsgId,
  }
}

/** Decodes every message ext in a pull (or view/check) body. Bodies are views into `bytes`. */
export function decodeMessageExts(bytes: Uint8Array): MessageExt[] {
  const r = new ByteReader(bytes, 'message ext list')
  const out: MessageExt[] = []
  while (r.remaining > 0) out.push(decodeOne(r))
  return out
}

/** Decodes a body holding exactly one message ext. */
export function decodeMessageExt(bytes: Uint8Array): MessageExt {
  const list = decodeMessageExts(bytes)
  if (list.length !== 1) throw new ProtocolError(`expected one message ext, found ${list.length}`)
  return list[0]!
}
