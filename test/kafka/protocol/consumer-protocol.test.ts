import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/kafka/protocol/consumer-protocol.ts'
import { randomBytes, rng } from './samples.ts'

const hex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/#.*$/gm, '').replace(/[\s|]/g, ''), 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

void test('subscription golden bytes, v0 and v1 (owned partitions)', () => {
  assert.equal(
    toHex(encodeSubscription({ topics: ['a'] }, 0)),
    toHex(hex('0000 | 00000001 0001 61 | ffffffff')),
  )
  const v1 = encodeSubscription({ topics: ['a'], ownedPartitions: [{ topic: 'a', partitions: [0] }] }, 1)
  assert.equal(
    toHex(v1),
    toHex(hex('0001 | 00000001 0001 61 | ffffffff | 00000001 0001 61 00000001 00000000')),
  )
})

void test('subscription v3 round-trips generation and rack; older versions read defaults', () => {
  const sub = {
    topics: ['orders', 'payments'],
    userData: Uint8Array.of(1, 2),
    ownedPartitions: [{ topic: 'orders', partitions: [0, 2] }],
    generationId: 7,
    rackId: 'rack-a',
  }
  const back = decodeSubscription(encodeSubscription(sub))
  assert.equal(back.version, 3)
  assert.deepEqual(back.topics, sub.topics)
  assert.deepEqual(new Uint8Array(back.userData!), sub.userData)
  assert.deepEqual(back.ownedPartitions, sub.ownedPartitions)
  assert.equal(back.generationId, 7)
  assert.equal(back.rackId, 'rack-a')
  const v0 = decodeSubscription(encodeSubscription(sub, 0))
  assert.deepEqual(v0.ownedPartitions, [])
  assert.equal(v0.generationId, -1)
  assert.equal(v0.rackId, null)
})

void test('a newer subscription version is read with the newest known schema, its tail ignored', () => {
  const v3 = encodeSubscription({ topics: ['t'], rackId: 'r' })
  const v4 = new Uint8Array([0, 4, ...v3.subarray(2), 0xde, 0xad])
  const back = decodeSubscription(v4)
  assert.equal(back.version, 4)
  assert.deepEqual(back.topics, ['t'])
  assert.equal(back.rackId, 'r')
  assert.throws(
    () => decodeSubscription(new Uint8Array([...v3, 0])),
    ProtocolError,
    'known version, trailing bytes',
  )
})

void test('assignment golden bytes and round trip; empty bytes mean no partitions', () => {
  const a = encodeAssignment({ assignedPartitions: [{ topic: 'a', partitions: [0, 1] }] }, 0)
  assert.equal(toHex(a), toHex(hex('0000 | 00000001 0001 61 00000002 00000000 00000001 | ffffffff')))
  const back = decodeAssignment(
    encodeAssignment({ assignedPartitions: [{ topic: 'x', partitions: [3] }], userData: Uint8Array.of(9) }),
  )
  assert.deepEqual(back.assignedPartitions, [{ topic: 'x', partitions: [3] }])
  assert.deepEqual(new Uint8Array(back.userData!), Uint8Array.of(9))
  assert.deepEqual(decodeAssignment(new Uint8Array(0)), {
    assignedPartitions: [],
    userData: null,
    version: 0,
  })
})

void test('fuzz: random bytes are decoded or rejected with ProtocolError', () => {
  const r = rng(3)
  const valid = encodeSubscription({ topics: ['a', 'b'], ownedPartitions: [{ topic: 'a', partitions: [1] }] })
  for (let i = 0; i < 3000; i++) {
    const bytes = i % 2 === 0 ? randomBytes(r, Math.floor(r() * 40)) : new Uint8Array(valid)
    if (i % 2 === 1) bytes[Math.floor(r() * bytes.length)]! ^= 1 << Math.floor(r() * 8)
    for (const decode of [decodeSubscription, decodeAssignment]) {
      try {
        decode(bytes)
      } catch (e) {
        if (!(e instanceof ProtocolError)) assert.fail(`threw ${(e as Error).stack}`)
      }
    }
  }
})
