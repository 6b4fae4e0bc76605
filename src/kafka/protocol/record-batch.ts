// Kafka record batches, message format v2 (magic 2) — the bytes inside Produce and Fetch.
//
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2)
//   | crc uint32 (CRC-32C of everything from attributes to the end of the batch)
//   | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64
//   | producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records
//
//   record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//           | keyLength varint (-1 null) | key | valueLength varint (-1 null) | value
//           | headerCount varint | (keyLength varint | key utf8 | valueLength varint | value)*
//
// attributes: bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), bit 3 timestamp
// type (1 = log append time), bit 4 transactional, bit 5 control. With compression only the
// records section is compressed; the record count stays in the clear.

import { crc32c } from '../../core/crc32c.ts'
import { ConfigError, ProtocolError } from '../../core/errors.ts'
import { Reader } from './reader.ts'
import { compressRecords, decompressRecords } from './record-compression.ts'
import { uvarintSize, varintSize, Writer } from './writer.ts'

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export const COMPRESSION_CODES: Readonly<Record<Compression, number>> = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
}
const COMPRESSION_NAMES: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

const ATTR_COMPRESSION_MASK = 0x07
const ATTR_LOG_APPEND_TIME = 0x08
const ATTR_TRANSACTIONAL = 0x10
const ATTR_CONTROL = 0x20

/** Bytes from baseOffset up to (excluding) the CRC; the CRC covers what follows it. */
const CRC_OFFSET = 17
const ATTRIBUTES_OFFSET = 21
/** baseOffset + batchLength: the batch length counts the bytes after these 12. */
const LOG_OVERHEAD = 12
/** The whole fixed header, up to and including the record count. */
export const RECORD_BATCH_OVERHEAD = 61
const MIN_RECORD_SIZE = 7

export type RecordHeader = [string, Uint8Array | null]

export interface RecordInput {
  key: Uint8Array | null
  value: Uint8Array | null
  headers?: RecordHeader[]
  /** Milliseconds since the epoch. */
  timestamp: number
}

export interface RecordBatchOptions {
  records: RecordInput[]
  compression: Compression
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  baseOffset?: bigint
  partitionLeaderEpoch?: number
}

/**
 * A record as read from a batch. For uncompressed batches `key`, `value` and header values are
 * views into the fetched bytes (no copy), so they keep that buffer alive while referenced.
 */
export interface DecodedRecord {
  offset: bigint
  timestamp: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: RecordHeader[]
}

export interface DecodedBatch {
  baseOffset: bigint
  lastOffsetDelta: number
  partitionLeaderEpoch: number
  baseTimestamp: number
  maxTimestamp: number
  logAppendTime: boolean
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  isTransactional: boolean
  isControl: boolean
  /** For a control batch: what its marker says about the producer's transaction. */
  controlType: 'abort' | 'commit' | null
  compression: Compression
  records: DecodedRecord[]
  /** Size of the whole batch on the wire, for fetch-size accounting. */
  sizeInBytes: number
}

function checkInput(opts: RecordBatchOptions): void {
  if (!Array.isArray(opts.records) || opts.records.length === 0) {
    throw new ConfigError('a record batch needs at least one record')
  }
  if (!(opts.compression in COMPRESSION_CODES)) {
    throw new ConfigError(`unknown compression ${JSON.stringify(opts.compression)}`)
  }
  for (let i = 0; i < opts.records.length; i++) {
    const ts = opts.records[i]!.timestamp
    if (!Number.isSafeInteger(ts)) throw new ConfigError(`record ${i} has an invalid timestamp ${ts}`)
  }
}

/** Byte length of a zigzag varlong of a safe integer. */
function varlongSize(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return varintSize(v)
  let z = v < 0 ? -2 * v - 1 : 2 * v
  let n = 1
  while (z >= 0x80) {
    z = Math.floor(z / 128)
    n++
  }
  return n
}

function varBytesSize(b: Uint8Array | null | undefined): number {
  if (b === null || b === undefined) return 1
  if (!(b instanceof Uint8Array))
    throw new ConfigError('record keys, values and header values must be Uint8Array')
  return uvarintSize(b.length * 2) + b.length
}

/** Body lengths of the records being encoded (reused: encoding is synchronous). */
let bodySizes: number[] = []
/** Longest header key (in UTF-16 units) of the records measured last. */
let longestHeaderKey = 0

/**
 * Measures every record (into `bodySizes`) and returns the byte length of the records section.
 * Knowing each body's length up front lets its length prefix be written before it, so the body
 * is written once, in place.
 */
function measureRecords(records: RecordInput[], baseTimestamp: number): number {
  if (bodySizes.length < records.length) bodySizes = new Array<number>(records.length)
  let total = 0
  longestHeaderKey = 0
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!
    let n = 1 + varlongSize(rec.timestamp - baseTimestamp) + varintSize(i)
    n += varBytesSize(rec.key) + varBytesSize(rec.value)
    const headers = rec.headers
    if (headers === undefined || headers.length === 0) n += 1
    else {
      n += varintSize(headers.length)
      for (let h = 0; h < headers.length; h++) {
        const [hk, hv] = headers[h]!
        if (typeof hk !== 'string') throw new ConfigError(`record ${i} header ${h} key must be a string`)
        const k = Writer.utf8Length(hk)
        n += varintSize(k) + k + varBytesSize(hv)
        if (hk.length > longestHeaderKey) longestHeaderKey = hk.length
      }
    }
    bodySizes[i] = n
    total += varintSize(n) + n
  }
  return total
}

/**
 * Writes the records section (everything after the record count) and returns the max timestamp.
 * measureRecords must have measured these records just before.
 */
function writeRecords(w: Writer, records: RecordInput[], baseTimestamp: number): number {
  let maxTimestamp = baseTimestamp
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!
    const ts = rec.timestamp
    if (ts > maxTimestamp) maxTimestamp = ts
    w.varint(bodySizes[i]!)
    w.int8(0)
    w.varlongNumber(ts - baseTimestamp)
    w.varint(i)
    writeVarBytes(w, rec.key)
    writeVarBytes(w, rec.value)
    const headers = rec.headers
    if (headers === undefined || headers.length === 0) w.uint8(0)
    else {
      w.varint(headers.length)
      for (let h = 0; h < headers.length; h++) {
        const [hk, hv] = headers[h]!
        w.varint(Writer.utf8Length(hk))
        w.utf8(hk)
        writeVarBytes(w, hv)
      }
    }
  }
  return maxTimestamp
}

function writeVarBytes(w: Writer, b: Uint8Array | null | undefined): void {
  if (b === null || b === undefined) {
    w.uint8(1) // zigzag(-1)
    return
  }
  w.varint(b.length)
  w.raw(b)
}

function writeHeader(
  w: Writer,
  opts: RecordBatchOptions,
  attributes: number,
  baseTimestamp: number,
  maxTimestamp: number,
): void {
  w.int64(opts.baseOffset ?? 0n)
  w.int32(0) // batch length, filled in by sealBatch
  w.int32(opts.partitionLeaderEpoch ?? -1)
  w.int8(2)
  w.uint32(0) // CRC, filled in by sealBatch
  w.int16(attributes)
  w.int32(opts.records.length - 1)
  w.int64(BigInt(baseTimestamp))
  w.int64(BigInt(maxTimestamp))
  w.int64(opts.producerId ?? -1n)
  w.int16(opts.producerEpoch ?? -1)
  w.int32(opts.baseSequence ?? -1)
  w.int32(opts.records.length)
}

function sealBatch(w: Writer, start: number): void {
  w.int32At(start + 8, w.offset - start - LOG_OVERHEAD)
  w.uint32At(start + CRC_OFFSET, crc32c(w.buf.subarray(start + ATTRIBUTES_OFFSET, w.offset)))
}

function attributesOf(opts: RecordBatchOptions): number {
  return COMPRESSION_CODES[opts.compression] | (opts.transactional ? ATTR_TRANSACTIONAL : 0)
}

// Reused across compressed batches: encoding is synchronous up to the compression await, and the
// records section is copied out before awaiting.
let batchWriter = new Writer(64 * 1024)
const SHRINK_ABOVE = 16 * 1024 * 1024

function takeBytes(w: Writer): Uint8Array {
  const out = w.finish()
  if (w.buf.length > SHRINK_ABOVE) batchWriter = new Writer(64 * 1024)
  return out
}

/** Encodes one uncompressed batch synchronously (the producer's hot path for `compression: 'none'`). */
export function encodeRecordBatchSync(opts: RecordBatchOptions): Uint8Array {
  checkInput(opts)
  if (opts.compression !== 'none') {
    throw new ConfigError(
      `encodeRecordBatchSync only writes uncompressed batches; use encodeRecordBatch for ${opts.compression}`,
    )
  }
  const baseTimestamp = opts.records[0]!.timestamp
  // Measured first, then written once into a buffer of exactly its size: no copy out, and each
  // record body goes straight after its length.
  const size = RECORD_BATCH_OVERHEAD + measureRecords(opts.records, baseTimestamp)
  // The writer's bounds checks ask for the longest a value could take (10 bytes for a varlong,
  // 3 per character of a string), so the buffer has that much to spare past the batch.
  const w = Writer.exact(size + 16 + 3 * longestHeaderKey)
  const buf = w.buf
  writeHeader(w, opts, attributesOf(opts), baseTimestamp, 0)
  const maxTimestamp = writeRecords(w, opts.records, baseTimestamp)
  if (w.offset !== size || w.buf !== buf) {
    throw new ProtocolError(`record batch measured ${size} bytes but ${w.offset} were written`)
  }
  w.view.setBigInt64(35, BigInt(maxTimestamp))
  sealBatch(w, 0)
  return buf.subarray(0, size)
}

/** Encodes one batch, compressing the records section with the given codec. */
export async function encodeRecordBatch(opts: RecordBatchOptions): Promise<Uint8Array> {
  if (opts.compression === 'none') return encodeRecordBatchSync(opts)
  checkInput(opts)
  const w = batchWriter.reset()
  const baseTimestamp = opts.records[0]!.timestamp
  measureRecords(opts.records, baseTimestamp)
  const maxTimestamp = writeRecords(w, opts.records, baseTimestamp)
  const plain = takeBytes(w)
  const compressed = await compressRecords(opts.compression, plain)
  const out = new Writer(RECORD_BATCH_OVERHEAD + compressed.length)
  writeHeader(out, opts, attributesOf(opts), baseTimestamp, maxTimestamp)
  out.raw(compressed)
  sealBatch(out, 0)
  return out.buf.length === out.offset ? out.buf : out.finish()
}

export interface DecodeOptions {
  /** Upper bound for one batch's decompressed records section (a zip bomb is an error). */
  maxDecompressedBytes: number
  /** Verify each batch's CRC-32C (default true); a mismatch is a CONDUIT_KAFKA_CORRUPT_BATCH. */
  checkCrc?: boolean
}

/**
 * Decodes the record batches of a Produce/Fetch `records` field. A truncated batch at the end
 * (a fetch response cuts the last one off at maxBytes) is dropped, not an error; corrupt or
 * legacy (magic 0/1) batches are ProtocolErrors.
 */
export async function decodeRecordBatches(bytes: Uint8Array, opts: DecodeOptions): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = []
  const r = new Reader(bytes)
  while (r.remaining >= LOG_OVERHEAD + 5) {
    const start = r.offset
    const batchLength = r.view.getInt32(start + 8)
    if (batchLength < 0)
      throw new ProtocolError(`record batch at ${start} has negative length ${batchLength}`)
    const magic = r.view.getInt8(start + 16)
    if (magic !== 2) {
      throw new ProtocolError(
        `record batch at ${start} uses message format v${magic}; only v2 (Kafka 0.11+) is supported`,
        { code: 'CONDUIT_KAFKA_LEGACY_MESSAGE_FORMAT' },
      )
    }
    if (batchLength > r.remaining - LOG_OVERHEAD) break // partial batch at the end of a fetch
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      throw new ProtocolError(`record batch at ${start} is ${batchLength} bytes, shorter than its header`)
    }
    const end = start + LOG_OVERHEAD + batchLength
    const batch = new Reader(bytes, start, end)
    const header = readBatchHeader(batch)
    const crc = opts.checkCrc === false ? header.crc : crc32c(bytes.subarray(start + ATTRIBUTES_OFFSET, end))
    if (crc !== header.crc) {
      throw new ProtocolError(
        `record batch at offset ${header.baseOffset} failed its CRC-32C check (stored ${header.crc}, computed ${crc})`,
        { code: 'CONDUIT_KAFKA_CORRUPT_BATCH' },
      )
    }
    let records: Reader = batch
    if (header.compression !== 'none') {
      const plain = await decompressRecords(
        header.compression,
        batch.raw(batch.remaining),
        opts.maxDecompressedBytes,
      )
      records = new Reader(plain)
    }
    out.push(finishBatch(header, records, end - start))
    r.offset = end
  }
  return out
}

interface BatchHeader {
  baseOffset: bigint
  partitionLeaderEpoch: number
  crc: number
  attributes: number
  compression: Compression
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  count: number
}

function readBatchHeader(r: Reader): BatchHeader {
  const baseOffset = r.int64()
  r.int32() // batch length, already checked
  const partitionLeaderEpoch = r.int32()
  r.int8() // magic, already checked
  const crc = r.uint32()
  const attributes = r.int16()
  const codec = attributes & ATTR_COMPRESSION_MASK
  const compression = COMPRESSION_NAMES[codec]
  if (compression === undefined)
    throw new ProtocolError(`record batch uses unknown compression codec ${codec}`)
  const lastOffsetDelta = r.int32()
  const baseTimestamp = toSafeNumber(r.int64(), 'base timestamp')
  const maxTimestamp = toSafeNumber(r.int64(), 'max timestamp')
  const producerId = r.int64()
  const producerEpoch = r.int16()
  const baseSequence = r.int32()
  const count = r.int32()
  if (count < 0) throw new ProtocolError(`record batch has negative record count ${count}`)
  return {
    baseOffset,
    partitionLeaderEpoch,
    crc,
    attributes,
    compression,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    count,
  }
}

function toSafeNumber(v: bigint, what: string): number {
  const n = Number(v)
  if (!Number.isSafeInteger(n)) throw new ProtocolError(`record batch ${what} ${v} is out of range`)
  return n
}

function finishBatch(h: BatchHeader, r: Reader, sizeInBytes: number): DecodedBatch {
  r.checkCount(h.count, MIN_RECORD_SIZE, 'record')
  const logAppendTime = (h.attributes & ATTR_LOG_APPEND_TIME) !== 0
  const isControl = (h.attributes & ATTR_CONTROL) !== 0
  const records = new Array<DecodedRecord>(h.count)
  for (let i = 0; i < h.count; i++) records[i] = readRecord(r, h, logAppendTime)
  if (r.remaining !== 0) {
    throw new ProtocolError(
      `record batch at offset ${h.baseOffset} has ${r.remaining} bytes after its last record`,
    )
  }
  let controlType: 'abort' | 'commit' | null = null
  if (isControl && records.length > 0) {
    const key = records[0]!.key
    if (key === null || key.length < 4) throw new ProtocolError('control record without a valid key')
    const type = (key[2]! << 8) | key[3]!
    controlType = type === 0 ? 'abort' : type === 1 ? 'commit' : null
  }
  return {
    baseOffset: h.baseOffset,
    lastOffsetDelta: h.lastOffsetDelta,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    logAppendTime,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    isTransactional: (h.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl,
    controlType,
    compression: h.compression,
    records,
    sizeInBytes,
  }
}

function readRecord(r: Reader, h: BatchHeader, logAppendTime: boolean): DecodedRecord {
  const length = r.varint()
  if (length < 0) throw new ProtocolError(`record with negative length ${length}`)
  const start = r.need(length, 'record')
  const end = r.end
  // Bound the reader to this record; on error the reader is abandoned, so no restore is needed.
  r.end = start + length
  {
    r.int8() // record attributes: unused in v2
    const timestampDelta = r.varlongNumber()
    const offsetDelta = r.varint()
    const key = readVarBytes(r)
    const value = readVarBytes(r)
    const headerCount = r.varint()
    if (headerCount < 0) throw new ProtocolError(`record with negative header count ${headerCount}`)
    r.checkCount(headerCount, 2, 'record header')
    const headers = new Array<RecordHeader>(headerCount)
    for (let i = 0; i < headerCount; i++) {
      const keyLength = r.varint()
      if (keyLength < 0) throw new ProtocolError('record header with a null key')
      const hk = r.utf8(keyLength)
      headers[i] = [hk, readVarBytes(r)]
    }
    if (r.offset !== r.end) throw new ProtocolError(`record has ${r.end - r.offset} trailing bytes`)
    r.end = end
    return {
      offset: h.baseOffset + BigInt(offsetDelta),
      timestamp: logAppendTime ? h.maxTimestamp : h.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    }
  }
}

function readVarBytes(r: Reader): Uint8Array | null {
  const n = r.varint()
  if (n === -1) return null
  if (n < 0) throw new ProtocolError(`negative byte length ${n} in record`)
  return r.raw(n, 'record bytes')
}
