import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProtocolError } from '../../src/core/errors.ts'
import {
  commands,
  decodeBase64,
  decodeConsumerFrame,
  decodeProducerAck,
  encodeSendFrame,
} from '../../src/pulsar-ws/protocol.ts'

void test('producer acks: ok with id and context; send-error with the WebSocket error code and name', () => {
  assert.deepEqual(decodeProducerAck('{"result":"ok","messageId":"CAEQAg==","context":"c1","errorCode":0}'), {
    ok: true,
    messageId: 'CAEQAg==',
    context: 'c1',
  })
  const error = decodeProducerAck('{"result":"send-error:7","errorMsg":"Invalid Base64","context":"c2"}')
  assert.deepEqual(error, {
    ok: false,
    code: 7,
    errorName: 'PayloadEncodingError',
    message: 'Invalid Base64',
    context: 'c2',
  })
  const unknown = decodeProducerAck('{"result":"send-error:42"}')
  assert.equal(unknown.ok, false)
  assert.equal(!unknown.ok && unknown.errorName, 'WebSocketError42')
})

void test('producer acks that break the documented shape are ProtocolErrors', () => {
  for (const bad of [
    'not json',
    '[1]',
    'null',
    '{"result":"ok"}',
    '{"result":"ok","messageId":"!!"}',
    '{"result":"maybe"}',
    '{"result":"ok","messageId":"CAEQAg==","context":5}',
  ]) {
    assert.throws(() => decodeProducerAck(bad), ProtocolError, bad)
  }
})

void test('consumer frames: a message with every field decoded, and the endOfTopic answer', () => {
  const frame = decodeConsumerFrame(
    JSON.stringify({
      messageId: 'CAEQAg==',
      payload: Buffer.from([0, 1, 255]).toString('base64'),
      properties: { a: '', b: 'ü' },
      publishTime: '2026-01-02T03:04:05.678Z',
      eventTime: '2026-01-02T03:04:05Z',
      redeliveryCount: 3,
      key: 'k',
    }),
  )
  assert.equal(frame.kind, 'message')
  if (frame.kind !== 'message') return
  assert.deepEqual([...frame.payload], [0, 1, 255])
  assert.deepEqual(frame.properties, { a: '', b: 'ü' })
  assert.equal(frame.publishTime, Date.UTC(2026, 0, 2, 3, 4, 5, 678))
  assert.equal(frame.eventTime, Date.UTC(2026, 0, 2, 3, 4, 5))
  assert.equal(frame.redeliveryCount, 3)
  assert.equal(frame.key, 'k')
  assert.equal(frame.encryptionContext, undefined, 'a plain message has no encryption context')
  assert.deepEqual(decodeConsumerFrame('{"endOfTopic":true}'), { kind: 'endOfTopic', endOfTopic: true })
})

void test('an encrypted message delivered undecrypted carries its encryption context', () => {
  // The shape the 4.0.7 server writes (seen on the real broker with cryptoFailureAction=CONSUME).
  const frame = decodeConsumerFrame(
    JSON.stringify({
      messageId: 'CAEQAg==',
      payload: 'SjXv',
      publishTime: '2026-01-02T03:04:05Z',
      encryptionContext: {
        keys: { 'app-key': { keyValue: 'AAEC', metadata: { version: '2' } } },
        param: 'CdOmZg8ZtMLKGc3M',
        compressionType: 'LZ4',
        uncompressedMessageSize: 11,
        batchSize: null,
      },
    }),
  )
  assert.equal(frame.kind, 'message')
  if (frame.kind !== 'message') return
  const ctx = frame.encryptionContext!
  assert.deepEqual(Object.keys(ctx.keys), ['app-key'])
  assert.deepEqual([...ctx.keys['app-key']!.keyValue], [0, 1, 2])
  assert.deepEqual(ctx.keys['app-key']!.metadata, { version: '2' })
  assert.equal(Buffer.from(ctx.param).toString('base64'), 'CdOmZg8ZtMLKGc3M')
  assert.equal(ctx.compressionType, 'LZ4')
  assert.equal(ctx.uncompressedMessageSize, 11)
  assert.equal(ctx.batchSize, undefined)
  assert.equal(ctx.algorithm, undefined)
  const good = { messageId: 'CAEQAg==', payload: 'YQ==', publishTime: '2026-01-02T03:04:05Z' }
  for (const bad of [
    { keys: [], param: '' },
    { keys: { a: 'x' }, param: '' },
    { keys: { a: { keyValue: '!!' } }, param: '' },
    { keys: {}, param: 'A' },
    { keys: {}, param: '', batchSize: -2 },
    { keys: { a: { keyValue: '', metadata: { v: 1 } } }, param: '' },
  ]) {
    const text = JSON.stringify({ ...good, encryptionContext: bad })
    assert.throws(() => decodeConsumerFrame(text), ProtocolError, text)
  }
})

void test('consumer frames that break the shape are ProtocolErrors, never partial messages', () => {
  const good = { messageId: 'CAEQAg==', payload: 'YQ==', publishTime: '2026-01-02T03:04:05Z' }
  for (const bad of [
    { ...good, messageId: undefined },
    { ...good, messageId: 'C A' },
    { ...good, payload: 'YQ' }, // bad length
    { ...good, payload: 'Y$==' },
    { ...good, publishTime: 'yesterday' },
    { ...good, publishTime: undefined },
    { ...good, properties: { a: 1 } },
    { ...good, properties: [] },
    { ...good, redeliveryCount: -1 },
    { ...good, redeliveryCount: 1.5 },
    { ...good, key: 7 },
  ]) {
    assert.throws(() => decodeConsumerFrame(JSON.stringify(bad)), ProtocolError, JSON.stringify(bad))
  }
})

void test('base64 is decoded strictly (Buffer.from alone would skip garbage)', () => {
  assert.deepEqual([...decodeBase64('AAEC', 'x')], [0, 1, 2])
  assert.deepEqual([...decodeBase64('', 'x')], [])
  for (const bad of ['AAE', 'AA=C', 'AA\nC', 'AAE-', '===='])
    assert.throws(() => decodeBase64(bad, 'x'), ProtocolError, bad)
})

void test('frames and commands the client writes', () => {
  assert.deepEqual(
    JSON.parse(encodeSendFrame({ payload: 'YQ==', context: 'c', key: 'k', properties: { p: 'v' } })),
    {
      payload: 'YQ==',
      context: 'c',
      key: 'k',
      properties: { p: 'v' },
    },
  )
  assert.deepEqual(JSON.parse(commands.ack('ID')), { messageId: 'ID' })
  assert.deepEqual(JSON.parse(commands.nack('ID')), { type: 'negativeAcknowledge', messageId: 'ID' })
  assert.deepEqual(JSON.parse(commands.permit(5)), { type: 'permit', permitMessages: 5 })
  assert.deepEqual(JSON.parse(commands.unsubscribe()), { type: 'unsubscribe' })
  assert.deepEqual(JSON.parse(commands.isEndOfTopic()), { type: 'isEndOfTopic' })
})

void test('fuzz: random frames never throw anything but ProtocolError', () => {
  let seed = 12345
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
  const pieces = [
    '{',
    '}',
    '"messageId"',
    ':',
    '"CAEQAg=="',
    ',',
    '"payload"',
    '"YQ=="',
    '"publishTime"',
    '"2026-01-01T00:00:00Z"',
    '[',
    ']',
    'null',
    '1',
    '"result"',
    '"ok"',
    '"send-error:3"',
    '"context"',
  ]
  for (let i = 0; i < 5000; i++) {
    const text = Array.from(
      { length: 1 + Math.floor(rnd() * 14) },
      () => pieces[Math.floor(rnd() * pieces.length)],
    ).join('')
    for (const decode of [decodeConsumerFrame, decodeProducerAck]) {
      try {
        decode(text)
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `${text}: ${String(error)}`)
      }
    }
  }
})
