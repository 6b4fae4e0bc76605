// The consumer and reader against a scripted server: pull-mode permits follow reading, acks given
// while the socket is down reach the new session, the local queue is dropped on reconnect (the
// broker redelivers it), cumulative acks, isEndOfTopic answers in order, seek cycles the socket
// around the cursor reset, readers ack for flow and resume after their last message.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, test } from 'node:test'
import { ConfigError, ProtocolError, UnsupportedError } from '../../src/core/errors.ts'
import { PulsarWsConsumer } from '../../src/pulsar-ws/consumer.ts'
import type { CursorReset } from '../../src/pulsar-ws/consumer.ts'
import type { ConsumerParams } from '../../src/pulsar-ws/endpoint.ts'
import { PulsarWsReader } from '../../src/pulsar-ws/reader.ts'
import { delivered, startFakeServer, wsId } from './fake-server.ts'
import type { FakeServer } from './fake-server.ts'

const address = { persistence: 'persistent', tenant: 't', namespace: 'n', topic: 'x' } as const
const socket = { reconnectBackoff: { initialMs: 10, maxMs: 20 }, keepAliveMs: 0 }
let server: FakeServer
const opened: { close(): Promise<void> }[] = []
beforeEach(async () => {
  server = await startFakeServer()
})
afterEach(async () => {
  // Closed even when a test failed, so no reconnect loop outlives its test.
  await Promise.all(opened.splice(0).map((c) => c.close()))
  await server.close()
})

function consumer(params: ConsumerParams = {}, extra: { permits?: number; resetCursor?: CursorReset } = {}) {
  const c = new PulsarWsConsumer(
    () => `${server.url}/ws/v2/consumer/persistent/t/n/x/sub`,
    address,
    'sub',
    params,
    {
      socket,
      ...extra,
    },
  )
  opened.push(c)
  return c.start()
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

void test('messages are decoded with their origin, id, key, properties, times and payload', async () => {
  const c = await consumer()
  server.sessions[0]!.send(
    delivered(wsId(5, 6, 2), 'hello', {
      key: 'k',
      properties: { a: 'b' },
      redeliveryCount: 2,
      eventTime: '2026-01-01T00:00:00Z',
    }),
  )
  const m = (await c.receive())!
  assert.equal(m.fullTopic, 'persistent://t/n/x')
  assert.deepEqual(
    [m.persistence, m.tenant, m.namespace, m.topic, m.partition],
    ['persistent', 't', 'n', 'x', 2],
  )
  assert.equal(m.partitionTopic, 'persistent://t/n/x-partition-2')
  assert.equal(m.id.toString(), '5:6:2:-1')
  assert.equal(m.key, 'k')
  assert.deepEqual(m.properties, { a: 'b' })
  assert.equal(m.redeliveryCount, 2)
  assert.ok(m.publishTime instanceof Date && m.publishTime.toISOString() === '2026-01-02T03:04:05.678Z')
  assert.equal(m.eventTime?.toISOString(), '2026-01-01T00:00:00.000Z')
  assert.equal(m.text(), 'hello')
  await c.close()
  assert.equal(await c.receive(), undefined)
})

void test('pull mode: permits are given as the queue is read, never more than `permits` outstanding', async () => {
  const c = await consumer({ pullMode: true }, { permits: 4 })
  const s = server.sessions[0]!
  await server.waitFor(() => s.received.length === 1)
  assert.deepEqual(s.received[0], { type: 'permit', permitMessages: 4 })
  for (let i = 0; i < 4; i++) s.send(delivered(wsId(1, i), `m${i}`))
  await sleep(30)
  assert.equal(s.received.length, 1, 'nothing read yet: no new permits')
  await c.receive()
  await sleep(20)
  assert.equal(s.received.length, 1, 'more than half still queued: no permits')
  await c.receive()
  await server.waitFor(() => s.received.length === 2)
  assert.deepEqual(s.received[1], { type: 'permit', permitMessages: 2 }, 'half read: topped up to 4')
  await c.receive()
  c.pause()
  await c.receive()
  await sleep(20)
  assert.equal(s.received.length, 2, 'paused: no permits')
  c.resume()
  await c.close()
  assert.throws(() => new PulsarWsConsumer(() => '', address, 's', {}, { socket }).permit(1), ConfigError)
})

void test('acks and nacks send the server’s own id back; acks given while down reach the new session', async () => {
  const c = await consumer()
  const s1 = server.sessions[0]!
  s1.send(delivered(wsId(1, 1), 'a'))
  s1.send(delivered(wsId(1, 2), 'b'))
  const a = (await c.receive())!
  const b = (await c.receive())!
  c.ack(a)
  await server.waitFor(() => s1.received.length === 1)
  assert.deepEqual(s1.received[0], { messageId: a.messageId })
  const next = server.nextSession()
  s1.socket.terminate()
  // Written before the client saw the drop, a frame would be lost with the socket (an ack then
  // only means a redelivery); once it knows, commands wait for the new session.
  await c.socket.state.waitFor('disconnected')
  c.nack(b)
  c.ack('1:3:-1:-1')
  const s2 = await next
  await server.waitFor(() => s2.received.length === 2)
  assert.deepEqual(s2.received, [
    { type: 'negativeAcknowledge', messageId: b.messageId },
    { messageId: wsId(1, 3) },
  ])
  await c.close()
})

void test('messages queued locally are dropped on reconnect: the broker redelivers them', async () => {
  const c = await consumer()
  let reconnects = 0
  c.onReconnect(() => reconnects++)
  const s1 = server.sessions[0]!
  s1.send(delivered(wsId(1, 1), 'queued'))
  await sleep(30)
  const next = server.nextSession()
  s1.socket.terminate()
  const s2 = await next
  s2.send(delivered(wsId(1, 1), 'queued', { redeliveryCount: 1 }))
  const m = (await c.receive())!
  assert.equal(m.redeliveryCount, 1, 'the copy of the new session, not the stale one')
  await sleep(20)
  assert.equal(reconnects, 1)
  await c.close()
})

void test('cumulative ack acks every earlier unacked message of the partition (Exclusive/Failover only)', async () => {
  const c = await consumer({ subscriptionType: 'Failover' })
  const s = server.sessions[0]!
  for (const [entry, partition] of [
    [1, 0],
    [2, 1],
    [3, 0],
    [4, 0],
  ]) {
    s.send(delivered(wsId(1, entry!, partition), `m${entry}`))
  }
  const got = [(await c.receive())!, (await c.receive())!, (await c.receive())!, (await c.receive())!]
  assert.equal(c.ackCumulative(got[2]!), 2)
  await server.waitFor(() => s.received.length === 2)
  assert.deepEqual(
    s.received.map((f) => f.messageId),
    [wsId(1, 1, 0), wsId(1, 3, 0)],
  )
  const shared = await consumer({ subscriptionType: 'Shared' })
  assert.throws(() => shared.ackCumulative(got[3]!), UnsupportedError)
  await c.close()
  await shared.close()
})

void test('isEndOfTopic answers in order, between messages, and is asked again after a reconnect', async () => {
  const c = await consumer()
  const s1 = server.sessions[0]!
  const first = c.isEndOfTopic()
  const second = c.isEndOfTopic()
  await server.waitFor(() => s1.received.length === 2)
  s1.send(delivered(wsId(1, 1), 'between'))
  s1.send({ endOfTopic: false })
  assert.equal(await first, false)
  const next = server.nextSession()
  s1.socket.terminate()
  const s2 = await next
  await server.waitFor(() => s2.received.length === 1)
  assert.deepEqual(s2.received[0], { type: 'isEndOfTopic' })
  s2.send({ endOfTopic: true })
  assert.equal(await second, true)
  await c.close()
})

void test('a frame that cannot be read is reported to the next receive, and the consumer carries on', async () => {
  const c = await consumer()
  const s = server.sessions[0]!
  s.send('{"messageId":"@@@","payload":""}')
  await assert.rejects(c.receive(), ProtocolError)
  s.send(delivered(wsId(1, 1), 'fine'))
  assert.equal((await c.receive())!.text(), 'fine')
  await c.close()
})

void test('seek closes the socket, resets the cursor while no session is open, and reconnects', async () => {
  const calls: string[] = []
  const c = await consumer(
    {},
    {
      resetCursor: async (sub, target) => {
        calls.push(
          `reset ${sub} ${String(target)} open sessions: ${server.sessions.filter((x) => x.socket.readyState === 1).length}`,
        )
      },
    },
  )
  server.sessions[0]!.send(delivered(wsId(1, 9), 'stale'))
  await sleep(20)
  const next = server.nextSession()
  await c.seek('1:4:-1:-1')
  await next
  assert.deepEqual(calls, ['reset sub 1:4:-1:-1 open sessions: 0'])
  assert.deepEqual(c.receiveNow(10), [], 'the stale queue is gone')
  await c.seek(new Date(1000))
  assert.equal(calls[1], 'reset sub 1000 open sessions: 0')
  await c.close()
  await assert.rejects(new PulsarWsConsumer(() => '', address, 's', {}, { socket }).seek(1), UnsupportedError)
})

void test('unsubscribe sends the command and closes', async () => {
  const c = await consumer()
  const s = server.sessions[0]!
  await c.unsubscribe()
  await server.waitFor(() => s.received.length === 1)
  assert.deepEqual(s.received[0], { type: 'unsubscribe' })
  assert.ok(c.closed)
})

void test('a reader acks each message for flow and resumes after its last one on reconnect', async () => {
  const urls: string[] = []
  const r = new PulsarWsReader(
    (start) => {
      urls.push(start)
      return `${server.url}/ws/v2/reader/persistent/t/n/x?messageId=${encodeURIComponent(start)}`
    },
    address,
    'earliest',
    socket,
  )
  opened.push(r)
  const reader = await r.start()
  const s1 = server.sessions[0]!
  s1.send(delivered(wsId(2, 1), 'a'))
  assert.equal((await reader.receive())!.text(), 'a')
  await server.waitFor(() => s1.received.length === 1)
  assert.deepEqual(s1.received[0], { messageId: wsId(2, 1) })
  const next = server.nextSession()
  s1.socket.terminate()
  const s2 = await next
  assert.deepEqual(urls, ['earliest', wsId(2, 1)])
  assert.equal(new URL(`http://h${s2.path}`).searchParams.get('messageId'), wsId(2, 1))
  await reader.close()
})
