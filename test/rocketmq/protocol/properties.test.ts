import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import { decodeProperties, encodeProperties } from '../../../src/rocketmq/protocol/properties.ts'

void test('properties round trip and Java layout', () => {
  const text = encodeProperties({ KEYS: 'a b', TAGS: 't', ünï: 'çödé' })
  assert.equal(text, 'KEYS\u0001a b\u0002TAGS\u0001t\u0002ünï\u0001çödé\u0002')
  assert.deepEqual(decodeProperties(text), { KEYS: 'a b', TAGS: 't', ünï: 'çödé' })
  assert.deepEqual(decodeProperties('A\u00011\u0002B\u00012'), { A: '1', B: '2' })
  assert.deepEqual(decodeProperties(''), {})
  assert.throws(() => encodeProperties({ a: 'x\u0002y' }), ProtocolError)
})
