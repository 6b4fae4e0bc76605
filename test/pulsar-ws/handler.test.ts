// The Stargate-like handler form over a scripted consumer: per-processor init state, ack/continue
// results, N parallel processors, per-key order, throws nack, readers stop on a failure.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, test } from 'node:test'
import { ConfigError } from '../../src/core/errors.ts'
import { PulsarWsConsumer } from '../../src/pulsar-ws/consumer.ts'
import { runMessageHandler } from '../../src/pulsar-ws/handler.ts'
import type { PulsarWsMessage } from '../../src/pulsar-ws/message.ts'
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
  await Promise.all(opened.splice(0).map((c) => c.close()))
  await server.close()
})

async function consumer(): Promise<PulsarWsConsumer> {
  const c = new PulsarWsConsumer(() => `${server.url}/c`, address, 'sub', {}, { socket })
  opened.push(c)
  return c.start()
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

void test('N processors, each with its own init state; ack acks, continue does not; per-key order kept', async () => {
  const c = await consumer()
  const s = server.sessions[0]!
  const keys = ['a', 'b', 'c', 'd']
  const total = 40
  for (let i = 0; i < total; i++) s.send(delivered(wsId(1, i), String(i), { key: keys[i % 4] }))
  const seen = new Map<string, number[]>()
  const states: number[][] = [[], [], []]
  let running = 0
  let maxRunning = 0
  let handled = 0
  const done = Promise.withResolvers<void>()
  const controller = new AbortController()
  const run = runMessageHandler<{ processor: number; count: number }>(c, {
    processors: 3,
    orderBy: 'key',
    signal: controller.signal,
    handler: {
      init: (processor) => ({ processor, count: 0 }),
      async handle(m: PulsarWsMessage, state) {
        running++
        maxRunning = Math.max(maxRunning, running)
        const list = seen.get(m.key!) ?? []
        list.push(Number(m.text()))
        seen.set(m.key!, list)
        states[state.processor]!.push(state.count)
        await sleep(Number(m.text()) % 3)
        running--
        if (++handled === total) done.resolve()
        return {
          result: Number(m.text()) % 10 === 0 ? 'continue' : 'ack',
          state: { ...state, count: state.count + 1 },
        }
      },
    },
  })
  await done.promise
  controller.abort()
  await run
  for (const [key, list] of seen)
    assert.deepEqual(
      list,
      [...list].sort((x, y) => x - y),
      `key ${key} in order`,
    )
  assert.ok(maxRunning > 1 && maxRunning <= 3, `ran in parallel within 3 processors (saw ${maxRunning})`)
  for (const list of states)
    assert.deepEqual(
      list,
      list.map((_, i) => i),
      'each processor threads its own state',
    )
  await server.waitFor(() => s.received.length === total - 4)
  assert.equal(s.received.length, 36, "'continue' leaves 4 messages unacked")
})

void test('a throwing handler nacks the message and reports it; the run goes on', async () => {
  const c = await consumer()
  const s = server.sessions[0]!
  s.send(delivered(wsId(1, 1), 'bad'))
  s.send(delivered(wsId(1, 2), 'good'))
  const errors: string[] = []
  const controller = new AbortController()
  const run = runMessageHandler(c, {
    signal: controller.signal,
    onError: (e, m) => errors.push(`${(e as Error).message} ${m.text()}`),
    handler: (m: PulsarWsMessage) => {
      if (m.text() === 'bad') throw new Error('boom')
      return 'ack'
    },
  })
  await server.waitFor(() => s.received.length === 2)
  controller.abort()
  await run
  assert.deepEqual(s.received, [
    { type: 'negativeAcknowledge', messageId: wsId(1, 1) },
    { messageId: wsId(1, 2) },
  ])
  assert.deepEqual(errors, ['boom bad'])
})

void test('on a reader a failing handler stops the run with its error; bad options are ConfigErrors', async () => {
  const r = new PulsarWsReader(() => `${server.url}/r`, address, 'earliest', socket)
  opened.push(r)
  await r.start()
  server.sessions[0]!.send(delivered(wsId(1, 1), 'x'))
  await assert.rejects(
    runMessageHandler(r, {
      handler: () => {
        throw new Error('reader failed')
      },
    }),
    /reader failed/,
  )
  await assert.rejects(runMessageHandler(r, { handler: () => 'ack', processors: 0 }), ConfigError)
  await assert.rejects(runMessageHandler(r, { handler: {} as never }), ConfigError)
  server.sessions[0]!.send(delivered(wsId(1, 2), 'y'))
  await assert.rejects(runMessageHandler(r, { handler: () => 'maybe' as never }), ConfigError)
})
