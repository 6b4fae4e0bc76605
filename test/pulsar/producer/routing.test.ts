import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { murmur3_32 } from '../../../src/core/murmur3.ts'
import { prepareMessage } from '../../../src/pulsar/producer/message-builder.ts'
import { Router } from '../../../src/pulsar/producer/routing.ts'

void test('keys hash like the Java client: (hash & Integer.MAX_VALUE) % partitions', () => {
  // Java String.hashCode("abc") = 96354.
  assert.equal(Router.keyHash('abc', 'java-string'), 96354)
  // A negative Java hash is masked, not negated: "polygenelubricants".hashCode() = Integer.MIN_VALUE.
  assert.equal(Router.keyHash('polygenelubricants', 'java-string'), 0)
  assert.equal(Router.keyHash('key-1'), murmur3_32(new TextEncoder().encode('key-1')) & 0x7fffffff)
  const r = new Router({})
  for (const key of ['a', 'b', 'order-17', 'ünïcode']) {
    const p = r.choose(prepareMessage({ key, value: 'x' }), 7)
    assert.equal(p, Router.keyHash(key) % 7)
    assert.equal(r.choose(prepareMessage({ key, value: 'y' }), 7), p, 'same key, same partition')
  }
})

void test('unkeyed messages go round-robin, single-partition stays put, custom routers are checked', () => {
  const rr = new Router({})
  const seen = new Set(Array.from({ length: 8 }, () => rr.choose(prepareMessage({ value: 'x' }), 4)))
  assert.equal(seen.size, 4)
  const single = new Router({ routingMode: 'single-partition' })
  const first = single.choose(prepareMessage({ value: 'x' }), 5)
  for (let i = 0; i < 10; i++) assert.equal(single.choose(prepareMessage({ value: 'x' }), 5), first)
  const custom = new Router({ routingMode: 'custom', router: (m, n) => (m.key === 'last' ? n - 1 : 0) })
  assert.equal(custom.choose(prepareMessage({ key: 'last', value: 'x' }), 3), 2)
  assert.throws(() => new Router({ routingMode: 'custom' }), ConfigError)
  const broken = new Router({ routingMode: 'custom', router: () => 9 })
  assert.throws(() => broken.choose(prepareMessage({ value: 'x' }), 3), ConfigError)
  assert.equal(rr.choose(prepareMessage({ value: 'x', partition: 2 }), 3), 2)
  assert.throws(() => rr.choose(prepareMessage({ value: 'x', partition: 3 }), 3), ConfigError)
})

void test('message preparation: byte keys that are not UTF-8 travel base64, bad input is ConfigError', () => {
  const m = prepareMessage({
    key: new Uint8Array([0xff, 0xfe]),
    value: null,
    properties: { a: '1' },
    headers: { b: '2' },
    eventTime: new Date(5),
    deliverAfterMs: 1000,
  })
  assert.equal(m.partitionKey, Buffer.from([0xff, 0xfe]).toString('base64'))
  assert.equal(m.partitionKeyB64, true)
  assert.equal(m.nullValue, true)
  assert.deepEqual(m.properties, [
    { key: 'b', value: '2' },
    { key: 'a', value: '1' },
  ])
  assert.equal(m.eventTime, 5n)
  assert.ok(m.deliverAtTime! > BigInt(Date.now()))
  assert.equal(prepareMessage({ key: new TextEncoder().encode('plain'), value: 'v' }).partitionKey, 'plain')
  assert.throws(() => prepareMessage({ value: 42 as unknown as string }), ConfigError)
  assert.throws(() => prepareMessage({ value: 'x', properties: { a: 1 as unknown as string } }), ConfigError)
  assert.throws(() => prepareMessage({ value: 'x', eventTime: -1 }), ConfigError)
  assert.throws(() => prepareMessage({ value: 'x', sequenceId: -1 }), ConfigError)
})
