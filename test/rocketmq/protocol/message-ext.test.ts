import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  compressionOf,
  compressionSysFlag,
  decodeMessageExt,
  decodeMessageExts,
  MESSAGE_MAGIC_V1,
  MESSAGE_MAGIC_V2,
  MessageSysFlag,
} from '../../../src/rocketmq/protocol/message-ext.ts'

interface Fixture {
  magic: number
  sysFlag: number
  born: number[]
  store: number[]
  topic: string
  body: number[]
  properties: string
}

/** Writes a message ext field by field in MessageDecoder.encode's order (the test's own golden writer). */
function encodeExt(f: Fixture): Buffer {
  const topic = Buffer.from(f.topic)
  const props = Buffer.from(f.properties)
  const topicLenSize = f.magic === MESSAGE_MAGIC_V1 ? 1 : 2
  const size =
    4 +
    4 +
    4 +
    4 +
    4 +
    8 +
    8 +
    4 +
    8 +
    f.born.length +
    4 +
    8 +
    f.store.length +
    4 +
    4 +
    8 +
    4 +
    f.body.length +
    topicLenSize +
    topic.length +
    2 +
    props.length
  const b = Buffer.alloc(size)
  let at = 0
  at = b.writeInt32BE(size, at)
  at = b.writeInt32BE(f.magic, at)
  at = b.writeInt32BE(0x11223344, at) // body crc
  at = b.writeInt32BE(3, at) // queue id
  at = b.writeInt32BE(0, at) // flag
  at = b.writeBigInt64BE(42n, at) // queue offset
  at = b.writeBigInt64BE(123456789n, at) // commit log offset
  at = b.writeInt32BE(f.sysFlag, at)
  at = b.writeBigInt64BE(1700000000000n, at)
  b.set(f.born, at)
  at += f.born.length
  at = b.writeInt32BE(50000, at)
  at = b.writeBigInt64BE(1700000000005n, at)
  b.set(f.store, at)
  at += f.store.length
  at = b.writeInt32BE(10911, at)
  at = b.writeInt32BE(2, at) // reconsume times
  at = b.writeBigInt64BE(0n, at)
  at = b.writeInt32BE(f.body.length, at)
  b.set(f.body, at)
  at += f.body.length
  at = topicLenSize === 1 ? b.writeUInt8(topic.length, at) : b.writeUInt16BE(topic.length, at)
  topic.copy(b, at)
  at += topic.length
  at = b.writeUInt16BE(props.length, at)
  props.copy(b, at)
  return b
}

const v4: Fixture = {
  magic: MESSAGE_MAGIC_V1,
  sysFlag: 0,
  born: [10, 0, 0, 1],
  store: [127, 0, 0, 1],
  topic: 'orders',
  body: [104, 105],
  properties: 'KEYS\u0001k1 k2\u0002TAGS\u0001TagA\u0002UNIQ_KEY\u0001AC1100010001000000000000000000AB\u0002',
}

void test('decodes a V1 IPv4 message ext', () => {
  const m = decodeMessageExt(encodeExt(v4))
  assert.equal(m.topic, 'orders')
  assert.equal(m.queueId, 3)
  assert.equal(m.queueOffset, 42)
  assert.equal(m.commitLogOffset, 123456789)
  assert.equal(m.bornTimestamp, 1700000000000)
  assert.equal(m.storeTimestamp, 1700000000005)
  assert.equal(m.bornHost, '10.0.0.1:50000')
  assert.equal(m.storeHost, '127.0.0.1:10911')
  assert.equal(m.reconsumeTimes, 2)
  assert.deepEqual([...m.body], [104, 105])
  assert.equal(m.compression, 'none')
  assert.deepEqual(m.properties, {
    KEYS: 'k1 k2',
    TAGS: 'TagA',
    UNIQ_KEY: 'AC1100010001000000000000000000AB',
  })
  // offset id: 7F000001 | port 10911 = 0x00002A9F | offset 123456789 = 0x00000000075BCD15
  assert.equal(m.offsetMsgId, '7F00000100002A9F00000000075BCD15')
  assert.equal(m.msgId, 'AC1100010001000000000000000000AB')
})

void test('decodes V2 (int16 topic length) with IPv6 born and store hosts', () => {
  const longTopic = 't'.repeat(200)
  const born = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
  const store = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
  const m = decodeMessageExt(
    encodeExt({
      ...v4,
      magic: MESSAGE_MAGIC_V2,
      sysFlag: MessageSysFlag.BORNHOST_V6 | MessageSysFlag.STOREHOST_V6,
      born,
      store,
      topic: longTopic,
      properties: '',
    }),
  )
  assert.equal(m.topic, longTopic)
  assert.equal(m.bornHost, '[2001:db8:0:0:0:0:0:1]:50000')
  assert.equal(m.storeHost, '[0:0:0:0:0:0:0:1]:10911')
  assert.equal(m.offsetMsgId.length, 56)
  assert.equal(m.msgId, m.offsetMsgId)
})

void test('several messages back to back, and compression flags', () => {
  const list = decodeMessageExts(
    Buffer.concat([encodeExt(v4), encodeExt({ ...v4, sysFlag: compressionSysFlag('zstd'), topic: 'b' })]),
  )
  assert.equal(list.length, 2)
  assert.equal(list[1]!.topic, 'b')
  assert.equal(list[1]!.compression, 'zstd')
  assert.equal(compressionOf(MessageSysFlag.COMPRESSED), 'zlib') // pre-5.x clients: zlib without type bits
  assert.equal(compressionOf(compressionSysFlag('lz4')), 'lz4')
  assert.equal(compressionOf(compressionSysFlag('zlib')), 'zlib')
  assert.throws(() => compressionOf(MessageSysFlag.COMPRESSED | (5 << 8)), ProtocolError)
})

void test('truncated and corrupted message exts give ProtocolError, never read past the buffer', () => {
  const good = encodeExt(v4)
  for (let cut = 1; cut < good.length; cut++)
    assert.throws(() => decodeMessageExts(good.subarray(0, cut)), ProtocolError)
  const badMagic = Buffer.from(good)
  badMagic.writeInt32BE(1, 4)
  assert.throws(() => decodeMessageExts(badMagic), /magic/)
  const hugeBody = Buffer.from(good)
  hugeBody.writeInt32BE(0x7fffffff, 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8)
  assert.throws(() => decodeMessageExts(hugeBody), ProtocolError)
  const negativeSize = Buffer.from(good)
  negativeSize.writeInt32BE(-5, 0)
  assert.throws(() => decodeMessageExts(negativeSize), ProtocolError)
})

void test('fuzz: mutated message exts only ever give ProtocolError', () => {
  const good = encodeExt(v4)
  let state = 99
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    return state % n
  }
  for (let i = 0; i < 20000; i++) {
    const b = Buffer.from(good)
    for (let k = 0; k < 1 + rand(3); k++) b[rand(b.length)] = rand(256)
    try {
      decodeMessageExts(b.subarray(0, rand(b.length + 1)))
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err))
    }
  }
})
