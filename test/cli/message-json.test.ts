import { test } from 'node:test'
import assert from 'node:assert/strict'
import { messageToJson, parseJsonMessage } from '../../src/cli/message-json.ts'
import { ConfigError } from '../../src/core/errors.ts'
import { createMessage } from '../../src/core/message.ts'

const received = (key: Uint8Array | null, value: Uint8Array | null) =>
  createMessage({
    topic: 't',
    partition: 2,
    offset: 7,
    id: '2:7',
    key,
    value,
    headers: { h: 'v' },
    timestamp: 1000,
  })

void test('UTF-8 values print as text with every field', () => {
  const json = messageToJson(received(Buffer.from('k'), Buffer.from('héllo')))
  assert.deepEqual(json, {
    topic: 't',
    partition: 2,
    offset: 7,
    key: 'k',
    value: 'héllo',
    headers: { h: 'v' },
    timestamp: 1000,
  })
})

void test('values and keys that are not valid UTF-8 print as base64 and are marked', () => {
  const json = messageToJson(received(new Uint8Array([0xc3]), new Uint8Array([0xff, 0x00, 0x80])))
  assert.equal(json.value, Buffer.from([0xff, 0x00, 0x80]).toString('base64'))
  assert.equal(json.encoding, 'base64')
  assert.equal(json.keyEncoding, 'base64')
  assert.equal(json.key, 'ww==')
})

void test('null key and value (tombstone) stay null', () => {
  const json = messageToJson(received(null, null))
  assert.equal(json.key, null)
  assert.equal(json.value, null)
  assert.equal(json.encoding, undefined)
})

void test('what consume prints, produce reads back byte for byte', () => {
  const original = received(new Uint8Array([1, 2, 250]), new Uint8Array([0xff, 0xfe, 0x41]))
  const input = parseJsonMessage(JSON.stringify(messageToJson(original)))
  assert.deepEqual([...(input.value as Uint8Array)], [0xff, 0xfe, 0x41])
  assert.deepEqual([...(input.key as Uint8Array)], [1, 2, 250])
  assert.deepEqual(input.headers, { h: 'v' })
  assert.equal(input.timestamp, 1000)
})

void test('plain input objects', () => {
  assert.deepEqual(parseJsonMessage('{"value":"v"}'), { value: 'v' })
  assert.deepEqual(parseJsonMessage('{"key":"k","value":null,"headers":{"a":"b"}}'), {
    value: null,
    key: 'k',
    headers: { a: 'b' },
  })
  assert.equal(
    parseJsonMessage('{"value":"v","timestamp":"2026-01-01T00:00:00Z"}').timestamp,
    Date.UTC(2026, 0, 1),
  )
})

void test('bad input lines get ConfigErrors that say what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not valid JSON/],
    ['[1]', /expected a JSON object/],
    ['"text"', /expected a JSON object/],
    ['{"key":"k"}', /missing "value"/],
    ['{"vlaue":"x","value":"y"}', /unknown field "vlaue"/],
    ['{"value":5}', /"value" must be a string or null/],
    ['{"value":"@@","encoding":"base64"}', /not valid base64/],
    ['{"value":"x","encoding":"hex"}', /must be "base64" or "utf8"/],
    ['{"value":"x","headers":{"a":1}}', /header "a" must be a string/],
    ['{"value":"x","headers":[]}', /"headers" must be an object/],
    ['{"value":"x","timestamp":"soon"}', /"timestamp"/],
  ]
  for (const [line, message] of cases)
    assert.throws(
      () => parseJsonMessage(line),
      (e) => e instanceof ConfigError && message.test(e.message),
      line,
    )
})
