import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthenticationError, ConnectionError, TimeoutError } from '../../src/core/errors.ts'
import { KafkaConnection, ownedFrame, type KafkaConnectionOptions } from '../../src/kafka/connection.ts'
import { ApiKey } from '../../src/kafka/protocol/index.ts'
import { plainMechanism } from '../../src/kafka/sasl/plain.ts'
import { startFakeBroker } from './fake-broker.ts'

const VERSIONS = {
  [ApiKey.ApiVersions]: [0, 4],
  [ApiKey.Metadata]: [4, 12],
  [ApiKey.SaslHandshake]: [0, 1],
  [ApiKey.SaslAuthenticate]: [0, 2],
} as Record<number, [number, number]>

const options = (port: number, extra: Partial<KafkaConnectionOptions> = {}): KafkaConnectionOptions => ({
  host: '127.0.0.1',
  port,
  nodeId: 1,
  clientId: 'unit',
  connectTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  maxInFlight: 2,
  maxFrameBytes: 1 << 20,
  purpose: 'admin',
  ...extra,
})

const metadata = { throttleTimeMs: 0, brokers: [], clusterId: 'c', controllerId: 1, topics: [] }

void test('negotiates versions, pipelines requests and respects maxInFlight', async () => {
  const held: Array<() => void> = []
  const broker = await startFakeBroker(VERSIONS, (_h, _b, reply) => held.push(() => reply(metadata)))
  const conn = await KafkaConnection.open(options(broker.port))
  assert.equal(conn.version(ApiKey.Metadata), 12)
  const responses = [1, 2, 3].map(() => conn.request(ApiKey.Metadata, { topics: [] }))
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(held.length, 2, 'the third request waits for a free slot')
  held.shift()!()
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(held.length, 2)
  for (const release of held.splice(0)) release()
  const bodies = await Promise.all(responses)
  assert.equal(bodies.length, 3)
  assert.equal(bodies[0]!.clusterId, 'c')
  conn.destroy()
  await broker.close()
})

void test('a request timeout kills the connection and fails everything in flight', async () => {
  const broker = await startFakeBroker(VERSIONS, () => undefined) // never answers
  const conn = await KafkaConnection.open(options(broker.port, { requestTimeoutMs: 200 }))
  const first = conn.request(ApiKey.Metadata, { topics: [] })
  const second = conn.request(ApiKey.Metadata, { topics: [] }, { timeoutMs: 10_000 })
  await assert.rejects(first, TimeoutError)
  await assert.rejects(second, ConnectionError)
  assert.equal(conn.state, 'closed')
  await assert.rejects(conn.request(ApiKey.Metadata, { topics: [] }), ConnectionError)
  await broker.close()
})

void test('a response with an unknown correlation id kills the connection', async () => {
  const broker = await startFakeBroker(VERSIONS, (h, _b, reply) => reply(metadata, h.correlationId + 1000))
  const conn = await KafkaConnection.open(options(broker.port))
  await assert.rejects(conn.request(ApiKey.Metadata, { topics: [] }), /unknown correlation id/)
  assert.equal(conn.state, 'closed')
  await broker.close()
})

void test('SASL: an unsupported mechanism and a rejected login are AuthenticationError', async () => {
  const refuse = await startFakeBroker(VERSIONS, (h, _b, reply) => {
    if (h.apiKey === ApiKey.SaslHandshake) reply({ errorCode: 33, mechanisms: ['SCRAM-SHA-512'] })
  })
  await assert.rejects(
    KafkaConnection.open(options(refuse.port, { sasl: plainMechanism('u', 'p') })),
    (e) => e instanceof AuthenticationError && /SCRAM-SHA-512/.test(e.message),
  )
  await refuse.close()
  const reject = await startFakeBroker(VERSIONS, (h, _b, reply) => {
    if (h.apiKey === ApiKey.SaslHandshake) reply({ errorCode: 0, mechanisms: ['PLAIN'] })
    else
      reply({
        errorCode: 58,
        errorMessage: 'Invalid username or password',
        authBytes: new Uint8Array(0),
        sessionLifetimeMs: 0n,
      })
  })
  await assert.rejects(
    KafkaConnection.open(options(reject.port, { sasl: plainMechanism('u', 'bad') })),
    (e) => e instanceof AuthenticationError && /Invalid username/.test(e.message),
  )
  await reject.close()
})

void test('connecting to a closed port is a ConnectionError', async () => {
  const broker = await startFakeBroker(VERSIONS, () => undefined)
  const port = broker.port
  await broker.close()
  await assert.rejects(KafkaConnection.open(options(port)), ConnectionError)
})

void test('diagnostics: state changes and request start/end reach the shared channels', async () => {
  const { channels } = await import('../../src/core/diagnostics.ts')
  const states: string[] = []
  const ends: string[] = []
  const onState = (e: { driver: string; to: string }) => void (e.driver === 'kafka' && states.push(e.to))
  const onEnd = (e: { driver: string; operation: string }) =>
    void (e.driver === 'kafka' && ends.push(e.operation))
  channels.connectionState.subscribe(onState as never)
  channels.requestEnd.subscribe(onEnd as never)
  try {
    const broker = await startFakeBroker(VERSIONS, (_h, _b, reply) => reply(metadata))
    const conn = await KafkaConnection.open(options(broker.port))
    await conn.request(ApiKey.Metadata, { topics: [] })
    conn.destroy()
    await broker.close()
    await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(states, ['connecting', 'handshaking', 'ready', 'closed'])
    assert.deepEqual(ends, ['ApiVersions v4', 'Metadata v12'])
  } finally {
    channels.connectionState.unsubscribe(onState as never)
    channels.requestEnd.unsubscribe(onEnd as never)
  }
})

void test('a response frame is copied out of a larger chunk but taken as is when it is its own buffer', () => {
  const chunk = new Uint8Array([9, 9, 1, 2, 3, 9])
  const view = chunk.subarray(2, 5)
  const owned = ownedFrame(view)
  assert.notEqual(owned.buffer, chunk.buffer, 'a view is copied')
  assert.deepEqual([...owned], [1, 2, 3])
  assert.equal(owned.buffer.byteLength, 3)
  const assembled = new Uint8Array([4, 5, 6])
  assert.equal(ownedFrame(assembled), assembled, 'an assembled frame is not copied again')
})
