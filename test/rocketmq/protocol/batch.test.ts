import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeBatch } from '../../../src/rocketmq/protocol/batch.ts'

void test('batch golden bytes (MessageDecoder.encodeMessage layout)', () => {
  const out = encodeBatch([
    { body: new Uint8Array([0x61]), properties: { K: 'v' } },
    { body: new Uint8Array([]), flag: 7, properties: {} },
  ])
  const expected =
    // 22 + 1 + 4 = 27
    '0000001b' +
    '00000000' +
    '00000000' +
    '00000000' +
    '00000001' +
    '61' +
    '0004' +
    '4b017602' +
    // 22
    '00000016' +
    '00000000' +
    '00000000' +
    '00000007' +
    '00000000' +
    '0000'
  assert.equal(Buffer.from(out).toString('hex'), expected)
})
