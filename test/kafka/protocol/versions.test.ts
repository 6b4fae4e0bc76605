import { test } from 'node:test'
import assert from 'node:assert/strict'
import { UnsupportedError } from '../../../src/core/errors.ts'
import { ApiKey } from '../../../src/kafka/protocol/api-keys.ts'
import { SCHEMAS } from '../../../src/kafka/protocol/apis.ts'
import { clientVersionRange, pickVersion } from '../../../src/kafka/protocol/versions.ts'

void test('clientVersionRange reports what the codec implements', () => {
  assert.deepEqual(clientVersionRange(ApiKey.Metadata), { min: 4, max: 12 })
  assert.throws(() => clientVersionRange(9999), UnsupportedError)
})

void test('pickVersion takes the highest common version and names the API when there is none', () => {
  assert.equal(pickVersion(ApiKey.Metadata, { min: 0, max: 13 }), 12)
  assert.equal(pickVersion(ApiKey.Metadata, { min: 0, max: 9 }), 9)
  assert.throws(
    () => pickVersion(ApiKey.Metadata, { min: 0, max: 3 }),
    (e: Error) => {
      assert.ok(e instanceof UnsupportedError)
      assert.match(e.message, /Metadata/)
      return true
    },
  )
  assert.throws(() => pickVersion(ApiKey.Metadata, { min: 13, max: 14 }), UnsupportedError)
})

void test('every schema is registered under the ApiKey constant of its name', () => {
  for (const [key, schema] of SCHEMAS) {
    assert.equal(ApiKey[schema.name as keyof typeof ApiKey], key, schema.name)
  }
})
