import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { plainMechanism } from '../../../src/kafka/sasl/plain.ts'

void test('PLAIN sends authzid NUL user NUL password in one message', async () => {
  const sent: Uint8Array[] = []
  await plainMechanism('alice', 's3cret').authenticate(async (m) => {
    sent.push(m)
    return new Uint8Array(0)
  })
  assert.equal(sent.length, 1)
  assert.deepEqual([...sent[0]!], [...Buffer.from('\0alice\0s3cret')])
})

void test('PLAIN refuses NUL inside a field and an empty user', () => {
  assert.throws(() => plainMechanism('a\0b', 'x'), ConfigError)
  assert.throws(() => plainMechanism('', 'x'), ConfigError)
})
