import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Registry, registryKey } from '../../src/pulsar-ws/registry.ts'

void test('registryKey defaults to a persistent producer, like Stargate.registry_key/4', () => {
  assert.deepEqual(registryKey('foo', 'bar', 'baz'), {
    kind: 'producer',
    persistence: 'persistent',
    tenant: 'foo',
    namespace: 'bar',
    topic: 'baz',
  })
  assert.equal(
    registryKey('foo', 'bar', 'baz', { kind: 'consumer', persistence: 'non-persistent' }).kind,
    'consumer',
  )
})

void test('entries are found by their tuple, newest first, and leave when removed', () => {
  const r = new Registry<string>()
  const key = registryKey('t', 'n', 'x', { kind: 'consumer' })
  const removeA = r.add(key, 'a')
  const removeB = r.add({ ...key }, 'b')
  r.add(registryKey('t', 'n', 'x'), 'producer')
  assert.equal(r.find(key), 'b')
  assert.deepEqual(r.findAll(key), ['a', 'b'])
  assert.equal(r.find(registryKey('t', 'n', 'x')), 'producer')
  assert.equal(r.find(registryKey('t', 'n', 'y')), undefined)
  assert.equal(r.size, 3)
  removeB()
  assert.equal(r.find(key), 'a')
  removeA()
  removeA()
  assert.equal(r.find(key), undefined)
  assert.deepEqual(
    r.keys().map((k) => k.key.kind),
    ['producer'],
  )
})
