import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  decodeConsumerRunningInfo,
  encodeConsumerRunningInfo,
  quoteObjectKeys,
} from '../../../src/rocketmq/protocol/consumer-running-info.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const pq = {
  commitOffset: 5,
  cachedMsgCount: 2,
  cachedMsgSizeInMiB: 0,
  locked: true,
  lastLockTimestamp: 9,
  droped: false,
}

void test('the encoder writes fastjson object keys for mqTable, and the decoder reads them back', () => {
  const body = encodeConsumerRunningInfo({
    properties: { PROP_CLIENT_VERSION: 'conduit' },
    subscriptionSet: [],
    queues: [
      { queue: { topic: 't', brokerName: 'b', queueId: 0 }, info: pq },
      { queue: { topic: 't', brokerName: 'b', queueId: 3 }, info: { ...pq, commitOffset: 7 } },
    ],
  })
  const text = new TextDecoder().decode(body)
  assert.match(text, /"mqTable":\{\{"brokerName":"b","queueId":0,"topic":"t"\}:\{"commitOffset":5/)
  const back = decodeConsumerRunningInfo(body)
  assert.equal(back.properties.PROP_CLIENT_VERSION, 'conduit')
  assert.deepEqual(
    back.queues.map((q) => [q.queue.queueId, q.info.commitOffset, q.info.locked]),
    [
      [0, 5, true],
      [3, 7, true],
    ],
  )
})

void test('reads a body shaped like the Java client writes it (nested maps, numeric keys, strings with braces)', () => {
  const java =
    '{"jstack":"a {b}: c","mqTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"cachedMsgCount":0,"commitOffset":42,"locked":false}},' +
    '"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CONSUMER_START_TIMESTAMP":"1700000000000"},' +
    '"statusTable":{"T":{"pullRT":0.5}},"subscriptionSet":[{"classFilterMode":false,"codeSet":[],"subString":"*","tagsSet":[],"topic":"T"}],' +
    '"userConsumerInfo":{0:"x"}}'
  const info = decodeConsumerRunningInfo(enc(java))
  assert.deepEqual(info.queues, [
    {
      queue: { topic: 'T', brokerName: 'broker-a', queueId: 1 },
      info: {
        commitOffset: 42,
        cachedMsgCount: 0,
        cachedMsgSizeInMiB: 0,
        locked: false,
        lastLockTimestamp: 0,
        droped: false,
      },
    },
  ])
  assert.equal(info.subscriptionSet.length, 1)
  assert.equal(info.properties.PROP_CONSUMER_START_TIMESTAMP, '1700000000000')
})

void test('objects inside arrays and values are not mistaken for keys', () => {
  const s = '{"a":[{"x":1},{"y":{"z":2}}],"b":{"c":{"d":3}}}'
  assert.equal(quoteObjectKeys(s), s)
})

void test('malformed bodies are ProtocolErrors', () => {
  for (const bad of [
    '',
    '{"mqTable":{{"topic":"t"}:{}}}', // key without brokerName/queueId
    '{"mqTable":{{"brokerName":"b","queueId":0,"topic":"t"',
    '{"mqTable":[]}',
    'null',
  ])
    assert.throws(() => decodeConsumerRunningInfo(enc(bad)), ProtocolError, bad)
  assert.throws(() => decodeConsumerRunningInfo(null), ProtocolError)
  assert.throws(() => decodeConsumerRunningInfo(new Uint8Array(9 * 1024 * 1024)), ProtocolError)
})

void test('fuzz: random damage to a valid body gives a result or a ProtocolError, nothing else', () => {
  const good = new TextDecoder().decode(
    encodeConsumerRunningInfo({
      properties: { a: 'b' },
      subscriptionSet: [],
      queues: [{ queue: { topic: 't', brokerName: 'b', queueId: 0 }, info: pq }],
    }),
  )
  const alphabet = '{}[]:,"\\0 a'
  for (let i = 0; i < 3000; i++) {
    const chars = [...good]
    for (let k = 0; k < 1 + (i % 4); k++)
      chars[Math.floor(Math.random() * chars.length)] = alphabet[Math.floor(Math.random() * alphabet.length)]!
    try {
      decodeConsumerRunningInfo(enc(chars.join('')))
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `${String(err)} for ${chars.join('')}`)
    }
  }
})
