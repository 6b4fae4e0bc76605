// Connection behaviour a real broker cannot be made to show on demand: AUTH_CHALLENGE refresh,
// broker PINGs, ERROR during the handshake, a request that is never answered, a garbage frame.
// A small fake broker on loopback speaks just enough of the protocol for each case.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { connected, fakeBroker } from './fake-broker.ts'
import { AuthenticationError, ConnectionError, ProtocolError, TimeoutError } from '../../src/core/errors.ts'
import { tokenAuth } from '../../src/pulsar/auth.ts'
import { PulsarConnection } from '../../src/pulsar/connection.ts'
import { CommandType } from '../../src/pulsar/protocol/commands.ts'
import { ServerError } from '../../src/pulsar/protocol/server-errors.ts'

void test('handshake: CONNECT carries the token and feature flags; CONNECTED sets the max message size', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
  })
  const conn = await PulsarConnection.connect({ host: '127.0.0.1', port: fake.port, auth: tokenAuth('t0k') })
  const connect = fake.received[0]!.connect!
  assert.equal(connect.authMethodName, 'token')
  assert.equal(new TextDecoder().decode(connect.authData), 't0k')
  assert.equal(connect.protocolVersion, 20)
  assert.equal(connect.featureFlags?.supportsAuthRefresh, true)
  assert.equal(conn.maxMessageSize, 1234567)
  assert.equal(conn.state, 'ready')
  await conn.close()
  assert.equal(conn.state, 'closed')
})

void test('AUTH_CHALLENGE is answered with fresh credentials from the supplier', async () => {
  let n = 0
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
  })
  const conn = await PulsarConnection.connect({
    host: '127.0.0.1',
    port: fake.port,
    auth: tokenAuth(() => `token-${n++}`),
  })
  fake.send({
    type: CommandType.AUTH_CHALLENGE,
    authChallenge: { challenge: { authMethodName: 'token', authData: new Uint8Array() } },
  })
  for (let i = 0; i < 50 && !fake.received.some((c) => c.type === CommandType.AUTH_RESPONSE); i++)
    await new Promise((r) => setTimeout(r, 10))
  const response = fake.received.find((c) => c.type === CommandType.AUTH_RESPONSE)!.authResponse!
  assert.equal(new TextDecoder().decode(response.response!.authData), 'token-1')
  await conn.close()
})

void test('a broker PING gets a PONG', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
  })
  const conn = await PulsarConnection.connect({ host: '127.0.0.1', port: fake.port })
  fake.send({ type: CommandType.PING, ping: {} })
  for (let i = 0; i < 50 && !fake.received.some((c) => c.type === CommandType.PONG); i++)
    await new Promise((r) => setTimeout(r, 10))
  assert.ok(fake.received.some((c) => c.type === CommandType.PONG))
  await conn.close()
})

void test('an ERROR answering CONNECT is a typed error (authentication)', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT)
      f.send({
        type: CommandType.ERROR,
        error: { requestId: 0n, error: ServerError.AuthenticationError, message: 'bad token' },
      })
  })
  await assert.rejects(
    PulsarConnection.connect({ host: '127.0.0.1', port: fake.port, auth: tokenAuth('x') }),
    AuthenticationError,
  )
})

void test('a request never answered times out alone; the connection stays usable', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
    if (cmd.type === CommandType.PARTITIONED_METADATA && cmd.partitionMetadata!.topic.endsWith('answered')) {
      f.send({
        type: CommandType.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: { requestId: cmd.partitionMetadata!.requestId, partitions: 3 },
      })
    }
  })
  const conn = await PulsarConnection.connect({ host: '127.0.0.1', port: fake.port })
  const lost = conn.newRequestId()
  const pending = conn.sendRequest(
    lost,
    { type: CommandType.PARTITIONED_METADATA, partitionMetadata: { topic: 'lost', requestId: lost } },
    { timeoutMs: 200 },
  )
  await assert.rejects(pending, TimeoutError)
  const ok = conn.newRequestId()
  const r = await conn.sendRequest(ok, {
    type: CommandType.PARTITIONED_METADATA,
    partitionMetadata: { topic: 'answered', requestId: ok },
  })
  assert.equal(r.partitionMetadataResponse!.partitions, 3)
  await conn.close()
})

void test('a garbage frame kills the connection with a ProtocolError and fails pending requests', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
  })
  const conn = await PulsarConnection.connect({ host: '127.0.0.1', port: fake.port })
  const closed = new Promise<Error>((resolve) => conn.onClose(resolve))
  const id = conn.newRequestId()
  const pending = conn.sendRequest(id, {
    type: CommandType.LOOKUP,
    lookupTopic: { topic: 't', requestId: id },
  })
  // A frame whose command is not valid protobuf.
  fake.raw(new Uint8Array([0, 0, 0, 6, 0, 0, 0, 2, 0xff, 0xff]))
  await assert.rejects(pending, ConnectionError)
  const why = await closed
  assert.ok(
    why.cause instanceof ProtocolError || why instanceof ProtocolError,
    `closed because ${String(why)}`,
  )
  assert.equal(conn.state, 'closed')
})

void test('graceful stop closes registered producers and consumers before the socket', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
    if (cmd.type === CommandType.CLOSE_PRODUCER)
      f.send({ type: CommandType.SUCCESS, success: { requestId: cmd.closeProducer!.requestId } })
    if (cmd.type === CommandType.CLOSE_CONSUMER)
      f.send({ type: CommandType.SUCCESS, success: { requestId: cmd.closeConsumer!.requestId } })
  })
  const conn = await PulsarConnection.connect({ host: '127.0.0.1', port: fake.port })
  const events: string[] = []
  const listener = (name: string) => ({
    onCommand: () => undefined,
    onConnectionClosed: () => void events.push(`${name} told`),
  })
  conn.registerProducer(7n, listener('producer'))
  conn.registerConsumer(9n, listener('consumer'))
  assert.deepEqual([...conn.producers.keys()], [7n])
  assert.deepEqual([...conn.consumers.keys()], [9n])
  await conn.close()
  const closes = fake.received.filter(
    (c) => c.type === CommandType.CLOSE_PRODUCER || c.type === CommandType.CLOSE_CONSUMER,
  )
  assert.deepEqual(
    closes.map((c) => c.closeProducer?.producerId ?? c.closeConsumer?.consumerId),
    [7n, 9n],
  )
  assert.deepEqual(events.sort(), ['consumer told', 'producer told'])
  assert.equal(conn.producers.size + conn.consumers.size, 0)
})

void test('maxFrameBytes: a frame above the configured bound kills the connection with a ProtocolError', async () => {
  const fake = await fakeBroker((cmd, f) => {
    if (cmd.type === CommandType.CONNECT) f.send(connected())
  })
  const conn = await PulsarConnection.connect({ host: '127.0.0.1', port: fake.port, maxFrameBytes: 1024 })
  assert.equal(conn.maxFrameBytes, 1024)
  const closed = new Promise<Error>((resolve) => conn.onClose(resolve))
  // Only the length prefix is sent: the bound applies to the declared length, before buffering.
  fake.raw(new Uint8Array([0, 0, 0x10, 0]))
  const why = await closed
  assert.ok(
    why.cause instanceof ProtocolError || why instanceof ProtocolError,
    `closed because ${String(why)}`,
  )
  assert.match(String(why.cause ?? why), /4096.*1024/)
  assert.equal(conn.state, 'closed')
})
