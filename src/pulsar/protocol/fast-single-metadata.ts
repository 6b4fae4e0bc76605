// A hand-written encoder for SingleMessageMetadata, the one protobuf written once per message of
// every batch: the generic (reflection-driven) encoder cost more than everything else on the
// producer's hot path. It writes the same bytes as the generated code — fields in field-number
// order, optional fields only when set — which test/pulsar/protocol/fast-single-metadata.test.ts
// checks against the library on random inputs.
//
//   1 properties repeated KeyValue{1 key, 2 value}   2 partition_key string   3 payload_size int32
//   5 event_time uint64   6 partition_key_b64_encoded bool   7 ordering_key bytes
//   8 sequence_id uint64   9 null_value bool
//
// The encoder is split into a size pass and a write pass into a caller's buffer, so a whole batch
// is written into one allocation with no intermediate buffer per message (strings are written
// with Buffer#write, which encodes UTF-8 like TextEncoder, lone surrogates as U+FFFD).

export interface SingleMetadataFields {
  properties?: readonly { key: string; value: string }[]
  partitionKey?: string
  partitionKeyB64?: boolean
  payloadSize: number
  eventTime?: bigint
  orderingKey?: Uint8Array
  sequenceId?: bigint
  nullValue?: boolean
}

export function varintSize(n: number): number {
  if (n < 0x80) return 1
  if (n < 0x4000) return 2
  if (n < 0x200000) return 3
  if (n < 0x10000000) return 4
  let size = 5
  n = Math.floor(n / 0x800000000)
  while (n > 0) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

// 64-bit fields (sequence id, event time) are bigints, but nearly always below 2^53: those take
// the number path, which avoids a BigInt allocation per 7 bits.
const SAFE = BigInt(Number.MAX_SAFE_INTEGER)

export function bigVarintSize(n: bigint): number {
  if (n <= SAFE) return varintSize(Number(n))
  let size = 1
  while (n >= 0x80n) {
    n >>= 7n
    size++
  }
  return size
}

/** Writes a non-negative integer below 2^53 as a varint at `pos`; returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80
    n = n < 0x80000000 ? n >>> 7 : Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

export function writeBigVarint(out: Uint8Array, pos: number, n: bigint): number {
  if (n >= 0n && n <= SAFE) return writeVarint(out, pos, Number(n))
  while (n >= 0x80n) {
    out[pos++] = Number(n & 0x7fn) | 0x80
    n >>= 7n
  }
  out[pos++] = Number(n)
  return pos
}

function writeString(out: Buffer, pos: number, s: string, length: number): number {
  pos = writeVarint(out, pos, length)
  return pos + out.write(s, pos, length, 'utf8')
}

/** Size of the encoded KeyValue of one property (without its own tag and length). */
function propertySize(p: { key: string; value: string }): number {
  const k = Buffer.byteLength(p.key, 'utf8')
  const v = Buffer.byteLength(p.value, 'utf8')
  return 1 + varintSize(k) + k + 1 + varintSize(v) + v
}

/** Bytes the encoded SingleMessageMetadata of `f` takes. */
export function singleMetadataSize(f: SingleMetadataFields): number {
  let size = 0
  const props = f.properties
  if (props !== undefined) {
    for (let i = 0; i < props.length; i++) {
      const inner = propertySize(props[i]!)
      size += 1 + varintSize(inner) + inner
    }
  }
  if (f.partitionKey !== undefined) {
    const n = Buffer.byteLength(f.partitionKey, 'utf8')
    size += 1 + varintSize(n) + n
  }
  size += 1 + (f.payloadSize < 0 ? 10 : varintSize(f.payloadSize))
  if (f.eventTime !== undefined) size += 1 + bigVarintSize(f.eventTime)
  if (f.partitionKeyB64) size += 2
  if (f.orderingKey) size += 1 + varintSize(f.orderingKey.length) + f.orderingKey.length
  if (f.sequenceId !== undefined) size += 1 + bigVarintSize(f.sequenceId)
  if (f.nullValue) size += 2
  return size
}

/**
 * Writes the SingleMessageMetadata of `f` at `pos` (room: singleMetadataSize(f)); returns the
 * position after it. `eventTime`/`sequenceId` must be non-negative 64-bit values.
 */
export function writeSingleMetadata(f: SingleMetadataFields, out: Buffer, pos: number): number {
  const props = f.properties
  if (props !== undefined) {
    for (let i = 0; i < props.length; i++) {
      const p = props[i]!
      const k = Buffer.byteLength(p.key, 'utf8')
      const v = Buffer.byteLength(p.value, 'utf8')
      out[pos++] = 0x0a
      pos = writeVarint(out, pos, 1 + varintSize(k) + k + 1 + varintSize(v) + v)
      out[pos++] = 0x0a
      pos = writeString(out, pos, p.key, k)
      out[pos++] = 0x12
      pos = writeString(out, pos, p.value, v)
    }
  }
  if (f.partitionKey !== undefined) {
    out[pos++] = 0x12
    pos = writeString(out, pos, f.partitionKey, Buffer.byteLength(f.partitionKey, 'utf8'))
  }
  out[pos++] = 0x18
  // int32: a negative size is sign-extended to ten bytes, as protobuf does.
  pos =
    f.payloadSize < 0
      ? writeBigVarint(out, pos, BigInt.asUintN(64, BigInt(f.payloadSize)))
      : writeVarint(out, pos, f.payloadSize)
  if (f.eventTime !== undefined) {
    out[pos++] = 0x28
    pos = writeBigVarint(out, pos, f.eventTime)
  }
  if (f.partitionKeyB64) {
    out[pos++] = 0x30
    out[pos++] = 1
  }
  if (f.orderingKey) {
    out[pos++] = 0x3a
    pos = writeVarint(out, pos, f.orderingKey.length)
    out.set(f.orderingKey, pos)
    pos += f.orderingKey.length
  }
  if (f.sequenceId !== undefined) {
    out[pos++] = 0x40
    pos = writeBigVarint(out, pos, f.sequenceId)
  }
  if (f.nullValue) {
    out[pos++] = 0x48
    out[pos++] = 1
  }
  return pos
}

/** Size of the metadata of a message with nothing but its payload size and sequence id. */
export function plainSingleMetadataSize(payloadSize: number, sequenceId: bigint): number {
  return 2 + varintSize(payloadSize) + bigVarintSize(sequenceId)
}

/**
 * Writes what writeSingleMetadata writes for `{ payloadSize, sequenceId }` (the common case: no
 * key, properties or event time) without a fields object; returns the position after it.
 */
export function writePlainSingleMetadata(
  out: Uint8Array,
  pos: number,
  payloadSize: number,
  sequenceId: bigint,
): number {
  out[pos++] = 0x18
  pos = writeVarint(out, pos, payloadSize)
  out[pos++] = 0x40
  return writeBigVarint(out, pos, sequenceId)
}

/** Encodes SingleMessageMetadata; `eventTime`/`sequenceId` must be non-negative 64-bit values. */
export function encodeSingleMetadata(f: SingleMetadataFields): Uint8Array {
  const out = Buffer.alloc(singleMetadataSize(f))
  const end = writeSingleMetadata(f, out, 0)
  if (end !== out.length) throw new Error(`SingleMessageMetadata size ${end} != ${out.length}`)
  return out
}
