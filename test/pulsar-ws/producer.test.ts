// The producer against a scripted server: receipts matched by context whatever the order, typed
// send errors, the frame-size check before sending, resend after a drop, drop on close, timeouts.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, test } from 'node:test'
import {
  BrokerError,
  ClosedError,
  ConfigError,
  MessageTooLargeError,
  TimeoutError,
} from '../../src/core/errors.ts'
import { PulsarWsProducer, buildSendFrame } from '../../src/pulsar-ws/producer.ts'
import { KEY_ENCODING_PROPERTY } from '../../src/pulsar-ws/message.ts'
import { startFakeServer, wsId } from './fake-server.ts'
import type { FakeServer, FakeSession } from './fake-server.ts'

const address = { persistence: 'persistent', tenant: 't', namespace: 'n', topic: 'x' } as const
let server: FakeServer

beforeEach(async () => {
  server = await startFakeServer()
})
afterEach(async () => {
  await server.close()
})

function producer(
  settings: Partial<ConstructorParameters<typeof PulsarWsProducer>[2]> = {},
): PulsarWsProducer {
  return new PulsarWsProducer(`${server.url}/ws/v2/producer/persistent/t/n/x`, address, {
    socket: { reconnectBackoff: { initialMs: 20, maxMs: 50 }, keepAliveMs: 0 },
    ...settings,
  })
}

function ok(session: FakeSession, frame: Record<string, unknown>, entry: number): void {
  session.send({ result: 'ok', messageId: wsId(7, entry), context: frame.context })
}

void test('receipts are matched by context even when the server answers out of order', async () => {
  const p = await producer().start()
  const session = server.sessions[0]!
  const sending = p.send(['a', 'b', 'c'])
  await server.waitFor(() => session.received.length === 3)
  const [a, b, c] = session.received
  ok(session, c!, 3)
  ok(session, a!, 1)
  ok(session, b!, 2)
  const receipts = await sending
  assert.deepEqual(
    receipts.map((r) => r.id.toString()),
    ['7:1:-1:-1', '7:2:-1:-1', '7:3:-1:-1'],
  )
  assert.deepEqual(
    receipts.map((r) => r.context),
    session.received.map((f) => f.context),
  )
  assert.equal(receipts[0]!.topic, 'persistent://t/n/x')
  await p.close()
})

void test('a user context is echoed; a context already pending is refused', async () => {
  const p = await producer().start()
  const session = server.sessions[0]!
  server.onFrame = (s, f) => ok(s, f, 1)
  const r = await p.send({ payload: 'x', context: 'order-17' })
  assert.equal(r.context, 'order-17')
  server.onFrame = undefined
  const first = p.send({ payload: 'x', context: 'dup' })
  await assert.rejects(p.send({ payload: 'y', context: 'dup' }), ConfigError)
  await server.waitFor(() => session.received.length === 2)
  ok(session, session.received[1]!, 2)
  await first
  await p.close()
})

void test('asynchronous acknowledgement calls back with the receipt, matched by context', async () => {
  const p = await producer().start()
  server.onFrame = (s, f) => ok(s, f, Number(String(f.context).slice(1)))
  const calls: [string, string | undefined][] = []
  const done = Promise.withResolvers<void>()
  for (const i of [1, 2, 3]) {
    const context = p.sendWithCallback({ payload: `m${i}`, context: `c${i}` }, (error, receipt, ctx) => {
      assert.equal(error, null)
      calls.push([ctx, receipt?.id.toString()])
      if (calls.length === 3) done.resolve()
    })
    assert.equal(context, `c${i}`)
  }
  await done.promise
  assert.deepEqual(calls.sort(), [
    ['c1', '7:1:-1:-1'],
    ['c2', '7:2:-1:-1'],
    ['c3', '7:3:-1:-1'],
  ])
  await p.close()
})

void test('a send error surfaces as a BrokerError with the WebSocket code and name', async () => {
  const p = await producer().start()
  server.onFrame = (s, f) =>
    s.send({ result: 'send-error:8', errorMsg: 'ProducerQueueIsFullError', context: f.context })
  const error = await p.send('x').then(
    () => assert.fail('expected a send error'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof BrokerError)
  assert.equal(error.brokerCode, 8)
  assert.equal(error.brokerErrorName, 'UnknownError')
  assert.equal(error.retriable, true)
  assert.match(error.message, /ProducerQueueIsFullError/)
  server.onFrame = (s, f) => s.send({ result: 'send-error:7', errorMsg: 'bad', context: f.context })
  await assert.rejects(
    p.send('y'),
    (e: unknown) => e instanceof BrokerError && !e.retriable && e.brokerCode === 7,
  )
  await p.close()
})

void test('a frame above the text-frame limit fails before sending and loses nothing else', async () => {
  const p = await producer({ maxTextFrameSize: 4096 }).start()
  const session = server.sessions[0]!
  server.onFrame = (s, f) => ok(s, f, 1)
  const error = await p.send('x'.repeat(4000)).then(
    () => assert.fail('expected MessageTooLargeError'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof MessageTooLargeError)
  assert.ok(error.size > 4096 && error.limit === 4096)
  assert.match(error.message, /webSocketMaxTextFrameSize/)
  // ~3000 bytes become ~4000 in base64: still fits; nothing was written for the refused one.
  await p.send('y'.repeat(2900))
  assert.equal(session.received.length, 1)
  await p.close()
})

void test('a drop resends what was not acknowledged, in order, on the new socket', async () => {
  const p = await producer().start()
  const first = server.sessions[0]!
  const sending = p.send(['a', 'b', 'c'])
  await server.waitFor(() => first.received.length === 3)
  ok(first, first.received[0]!, 1)
  await new Promise((r) => setTimeout(r, 50))
  const reconnected = server.nextSession()
  first.socket.terminate()
  const second = await reconnected
  await server.waitFor(() => second.received.length === 2)
  assert.deepEqual(
    second.received.map((f) => Buffer.from(String(f.payload), 'base64').toString()),
    ['b', 'c'],
  )
  ok(second, second.received[1]!, 3)
  ok(second, second.received[0]!, 2)
  assert.equal((await sending).length, 3)
  await p.close()
})

void test('close({ drop: true }) drops what was not yet written and reports how many', async () => {
  const p = await producer().start()
  server.onFrame = (s, f) => ok(s, f, 1)
  await p.send('before')
  const outcomes: Promise<unknown>[] = []
  for (let i = 0; i < 5; i++) outcomes.push(p.send(`pending-${i}`).catch((e: unknown) => e))
  const dropped = await p.close({ drop: true })
  assert.equal(dropped, 5)
  for (const o of await Promise.all(outcomes)) assert.ok(o instanceof ClosedError)
  assert.equal(server.sessions[0]!.received.length, 1)
  await assert.rejects(p.send('late'), ClosedError)
})

void test('close() without drop drains: every pending send is acknowledged first', async () => {
  const p = await producer().start()
  server.onFrame = (s, f) => setTimeout(() => ok(s, f, 1), 30)
  const sends = [p.send('a'), p.send('b')]
  assert.equal(await p.close(), 0)
  assert.equal((await Promise.all(sends)).length, 2)
})

void test('trySend refuses when the buffer is full; send waits for room', async () => {
  const p = await producer({ bufferSize: 2 }).start()
  const session = server.sessions[0]!
  assert.ok(p.trySend('a'))
  assert.ok(p.trySend('b'))
  assert.equal(p.trySend('c'), undefined)
  let third = false
  const waiting = p.send('c').then(() => (third = true))
  await server.waitFor(() => session.received.length === 2)
  assert.equal(third, false)
  server.onFrame = (s, f) => ok(s, f, 9)
  ok(session, session.received[0]!, 1)
  ok(session, session.received[1]!, 2)
  await waiting
  await p.close()
})

void test('a send the server never answers fails with TimeoutError after sendTimeoutMs', async () => {
  const p = await producer({ sendTimeoutMs: 100 }).start()
  await assert.rejects(p.send('x'), TimeoutError)
  await p.close()
})

void test('message forms: payload, { key, payload }, and every optional field; binary keys get the marker', () => {
  assert.deepEqual(buildSendFrame('hi', 'c'), { payload: 'aGk=', context: 'c' })
  const frame = buildSendFrame(
    {
      payload: new Uint8Array([1, 2]),
      key: new Uint8Array([0, 255]),
      properties: { a: 'b' },
      eventTime: 0,
      deliverAt: new Date(5),
      deliverAfterMs: 10,
      replicationClusters: ['c1'],
    },
    'c',
  )
  assert.deepEqual(frame, {
    payload: 'AQI=',
    context: 'c',
    key: 'AP8=',
    properties: { a: 'b', [KEY_ENCODING_PROPERTY]: 'base64' },
    eventTime: '1970-01-01T00:00:00.000Z',
    deliverAt: 5,
    deliverAfterMs: 10,
    replicationClusters: ['c1'],
  })
  assert.equal(buildSendFrame({ payload: 'x', key: new TextEncoder().encode('ü') }, 'c').key, 'ü')
  for (const bad of [
    null,
    5,
    { payload: null },
    { payload: 'x', properties: { a: 1 } },
    { payload: 'x', key: 3 },
    { payload: 'x', eventTime: NaN },
    { payload: 'x', properties: { [KEY_ENCODING_PROPERTY]: 'x' } },
  ]) {
    assert.throws(() => buildSendFrame(bad as never, 'c'), ConfigError, JSON.stringify(bad))
  }
})
