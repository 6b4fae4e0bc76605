import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError } from '../../../src/core/errors.ts'
import { Reader } from '../../../src/kafka/protocol/reader.ts'
import { f, inVersions, list, parseVersions, struct } from '../../../src/kafka/protocol/schema.ts'
import { compileStruct } from '../../../src/kafka/protocol/schema-codec.ts'
import { Writer } from '../../../src/kafka/protocol/writer.ts'

const FIELDS = [
  f('id', 'int32', '0+'),
  f('name', 'string', '1+', { nullable: '2+', default: null }),
  f('epoch', 'int64', '2+', { default: -1n }),
  list('items', '0+', [f('value', 'int16', '0+'), f('old', 'bool', '0-1')]),
  struct('leader', '3+', [f('leaderId', 'int32', '3+', { default: -1 })], { tag: 0 }),
  f('note', 'string', '3+', { tag: 1, default: 'none' }),
] as const

const encode = (version: number, flexible: boolean, value: object): Uint8Array => {
  const w = new Writer(8)
  compileStruct(FIELDS, version, flexible).encode(w, value as Record<string, unknown>)
  return w.finish()
}
const decode = (version: number, flexible: boolean, bytes: Uint8Array): Record<string, unknown> => {
  const r = new Reader(bytes)
  const out = compileStruct(FIELDS, version, flexible).decode(r)
  assert.equal(r.remaining, 0)
  return out
}

void test('version ranges in the spec notation', () => {
  assert.deepEqual(parseVersions('3+'), { min: 3, max: Infinity })
  assert.deepEqual(parseVersions('0-7'), { min: 0, max: 7 })
  assert.deepEqual(parseVersions('5'), { min: 5, max: 5 })
  assert.equal(inVersions('none', 0), false)
  assert.equal(inVersions(undefined, 0), false)
  assert.equal(inVersions('2-4', 4), true)
  assert.equal(inVersions('2-4', 5), false)
})

void test('fields absent in a version are not written and decode to their defaults', () => {
  const v0 = encode(0, false, { id: 7, name: 'ignored', epoch: 5n, items: [{ value: 1, old: true }] })
  assert.equal(Buffer.from(v0).toString('hex'), '00000007' + '00000001' + '0001' + '01')
  const back = decode(0, false, v0)
  assert.deepEqual(back, {
    id: 7,
    name: null,
    epoch: -1n,
    items: [{ value: 1, old: true }],
    leader: { leaderId: -1 },
    note: 'none',
  })
  // Every decoded object has every field, in schema order (one hidden class per message type).
  assert.deepEqual(Object.keys(decode(2, false, encode(2, false, { id: 1 }))), [
    'id',
    'name',
    'epoch',
    'items',
    'leader',
    'note',
  ])
})

void test('tagged fields: written only when not default, in tag order; unknown tags skipped', () => {
  const plain = encode(3, true, { id: 1, name: 'a', items: [] })
  assert.equal(Buffer.from(plain).toString('hex'), '00000001' + '0261' + 'ffffffffffffffff' + '01' + '00')
  const tagged = encode(3, true, { id: 1, name: 'a', items: [], note: 'hi', leader: { leaderId: 4 } })
  const decoded = decode(3, true, tagged)
  assert.deepEqual(decoded.leader, { leaderId: 4 })
  assert.equal(decoded.note, 'hi')
  // Two tags: tag 0 (leader: int32 + its own empty tag section = 5 bytes) before tag 1 (note,
  // compact string "hi" = 3 bytes).
  assert.equal(
    Buffer.from(tagged.subarray(tagged.length - 13)).toString('hex'),
    '02' + '0005' + '0000000400' + '0103' + '036869',
  )

  // An unknown tag 9 with 3 bytes is skipped.
  const withUnknown = new Uint8Array([...plain.subarray(0, plain.length - 1), 0x01, 0x09, 0x03, 1, 2, 3])
  assert.equal(decode(3, true, withUnknown).id, 1)
  // A known tag whose payload is longer than its value is a ProtocolError.
  const oversized = new Uint8Array([
    ...plain.subarray(0, plain.length - 1),
    0x01,
    0x01,
    0x04,
    0x02,
    0x61,
    0,
    0,
  ])
  assert.throws(() => decode(3, true, oversized), ProtocolError)
  // A tag section claiming more bytes than the frame has is a ProtocolError.
  const truncated = new Uint8Array([...plain.subarray(0, plain.length - 1), 0x01, 0x09, 0x7f, 1])
  assert.throws(() => decode(3, true, truncated), ProtocolError)
})

void test('nullability follows the version', () => {
  assert.throws(() => encode(1, false, { id: 1, name: null }), /not nullable/)
  assert.equal(decode(2, false, encode(2, false, { id: 1, name: null })).name, null)
  // Null in a non-nullable version, from the wire: int16 -1 as the v1 string length.
  const bad = Uint8Array.from([0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0])
  assert.throws(() => decode(1, false, bad), ProtocolError)
})

void test('element counts are bounded by the bytes left before anything is allocated', () => {
  const huge = Uint8Array.from([0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff])
  assert.throws(() => decode(0, false, huge), /count 2147483647 exceeds/)
  const compact = Uint8Array.from([
    0, 0, 0, 1, 0x01, 0x61, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f,
  ])
  assert.throws(() => decode(3, true, compact), ProtocolError)
})
