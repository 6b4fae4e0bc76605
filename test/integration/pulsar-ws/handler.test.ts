// The Stargate-like handler form against the real broker: N processors with their own init state,
// per-key order, 'ack' consumes and 'continue' leaves a message for the ack timeout to redeliver.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { runMessageHandler } from '../../../src/pulsar-ws/index.ts'
import type { PulsarWsMessage } from '../../../src/pulsar-ws/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { client, unique, within } from './helpers.ts'

const broker = await useBroker('pulsar')
const ws = client(broker.urls.ws!)
after(() => ws.close())

void test('3 processors keep per-key order; continue → redelivered by the ack timeout, then acked', async () => {
  const topic = unique('ws-handler')
  const p = await ws.producer({ topic, batchingEnabled: true })
  const keys = 6
  const perKey = 20
  await p.send(
    Array.from({ length: keys * perKey }, (_, i) => ({
      key: `key-${i % keys}`,
      payload: `${i % keys}|${Math.floor(i / keys)}`,
    })),
  )
  const c = await ws.consumer({
    topic,
    subscription: 'handlers',
    subscriptionType: 'Key_Shared',
    subscriptionInitialPosition: 'Earliest',
    ackTimeoutMillis: 1000,
    pullMode: true,
    permits: 20,
  })
  const last = new Map<string, number>()
  const violations: string[] = []
  const perProcessor = [0, 0, 0]
  const firstTimes = new Set<string>()
  let acked = 0
  const done = Promise.withResolvers<void>()
  const controller = new AbortController()
  const run = runMessageHandler<{ index: number; handled: number }>(c, {
    processors: 3,
    orderBy: 'key',
    signal: controller.signal,
    handler: {
      init: (index) => ({ index, handled: 0 }),
      async handle(m: PulsarWsMessage, state) {
        const [key, seq] = m.text().split('|').map(Number) as [number, number]
        perProcessor[state.index]!++
        // The first delivery of key 0 / seq 0 is left for the ack timeout ('continue').
        if (key === 0 && seq === 0 && !firstTimes.has('0|0')) {
          firstTimes.add('0|0')
          return { result: 'continue', state }
        }
        if (m.redeliveryCount === 0) {
          const previous = last.get(m.key!)
          if (previous !== undefined && seq < previous) violations.push(`${m.key}: ${seq} after ${previous}`)
          last.set(m.key!, seq)
        }
        await new Promise((r) => setTimeout(r, seq % 3))
        if (++acked === keys * perKey) done.resolve()
        return { result: 'ack', state: { ...state, handled: state.handled + 1 } }
      },
    },
  })
  await within(done.promise, 30_000, `all messages acked (acked ${acked})`)
  controller.abort()
  await run
  assert.deepEqual(violations, [], 'per-key order')
  assert.ok(
    perProcessor.filter((n) => n > 0).length >= 2,
    `work spread over processors: ${perProcessor.join('/')}`,
  )
  await c.close()
  await p.close()
})
