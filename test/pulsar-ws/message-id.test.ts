import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, ProtocolError } from '../../src/core/errors.ts'
import { MessageId } from '../../src/pulsar/protocol/message-id.ts'
import { messageIdFromWs, messageIdToWs, toMessageId } from '../../src/pulsar-ws/message-id.ts'
import { wsId } from './fake-server.ts'

void test('the WebSocket base64 id is the MessageIdData protobuf the binary driver reads', () => {
  // Encoded independently (fake-server.ts) from the protobuf field numbers 1–4.
  const id = messageIdFromWs(wsId(303, 7, 2, 4))
  assert.equal(id.toString(), '303:7:2:4')
  assert.equal(messageIdFromWs(messageIdToWs(new MessageId(9n, 8n, -1, -1))).toString(), '9:8:-1:-1')
  // A base64 id the server sent (seen on the real broker: ledger 161, entry 0, partition -1 omitted).
  assert.equal(messageIdFromWs('CKEBEAAwAA==').toString(), '161:0:-1:-1')
})

void test('toMessageId accepts a MessageId, the contract string and the base64 form', () => {
  const id = new MessageId(5n, 6n, 1, -1)
  assert.equal(toMessageId(id), id)
  assert.equal(toMessageId('5:6:1:-1').toString(), '5:6:1:-1')
  assert.equal(toMessageId(messageIdToWs(id)).toString(), '5:6:1:-1')
  assert.throws(() => toMessageId(''), ConfigError)
  assert.throws(() => toMessageId('not an id'), ConfigError)
})

void test('a server id that is not base64 or not a protobuf is a ProtocolError', () => {
  assert.throws(() => messageIdFromWs('@@@@'), ProtocolError)
  assert.throws(() => messageIdFromWs(Buffer.from([0xff, 0xff, 0xff]).toString('base64')), ProtocolError)
})
