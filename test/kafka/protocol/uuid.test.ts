import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import { uuidFromString, uuidToString } from '../../../src/kafka/protocol/uuid.ts'

void test('UUIDs convert between 16 bytes and the canonical text form', () => {
  const text = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'
  const bytes = uuidFromString(text)
  assert.equal(bytes.length, 16)
  assert.equal(bytes[0], 0x0f)
  assert.equal(uuidToString(bytes), text)
  assert.throws(() => uuidFromString('nope'), ConfigError)
  assert.throws(() => uuidToString(new Uint8Array(3)), ConfigError)
})
