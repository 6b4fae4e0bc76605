import assert from 'node:assert/strict'
import { test } from 'node:test'
import { optionalRecordBytes, recordBytes } from '../../../src/kafka/producer/record-bytes.ts'

const encoder = new TextEncoder()

void test('strings become the same UTF-8 bytes TextEncoder gives, on the ASCII loop and off it', () => {
  const samples = [
    '',
    'key-1',
    'x'.repeat(64), // longest string on the ASCII loop
    'x'.repeat(65), // first one past it
    'é',
    'key-é', // falls back after some ASCII characters were copied
    'a\u{1f600}b', // surrogate pair
    'lone \ud800 surrogate', // replaced by U+FFFD, as TextEncoder does
    '\u007f\u0080',
  ]
  for (const s of samples) assert.deepEqual(recordBytes(s), encoder.encode(s), JSON.stringify(s))
})

void test('bytes pass through untouched; null and undefined stay null', () => {
  const b = new Uint8Array([1, 2, 3])
  assert.equal(recordBytes(b), b)
  assert.equal(optionalRecordBytes(b), b)
  assert.equal(optionalRecordBytes(null), null)
  assert.equal(optionalRecordBytes(undefined), null)
  assert.deepEqual(optionalRecordBytes('k'), new Uint8Array([107]))
})
