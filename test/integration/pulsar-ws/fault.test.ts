// Faults: the server never reconnects for a client, so this driver must. Through a fault proxy the
// sockets are cut and black-holed mid-stream; with a private broker the whole standalone is
// SIGKILLed and restarted. In every case producers resend what was not acknowledged and consumers
// come back on the same subscription: nothing sent is lost, nothing unacked is lost.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PulsarWsConsumer, PulsarWsMessage } from '../../../src/pulsar-ws/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { startFaultProxy } from '../../support/fault-proxy.ts'
import { client, maybeNext, unique, within } from './helpers.ts'

/** Receives until every value of `expected` was seen (acking each), failing after `ms`. */
async function collect(
  c: PulsarWsConsumer,
  expected: Set<string>,
  ms: number,
  what: string,
): Promise<PulsarWsMessage[]> {
  const seen = new Set<string>()
  const all: PulsarWsMessage[] = []
  const deadline = Date.now() + ms
  while ([...expected].some((v) => !seen.has(v))) {
    if (Date.now() > deadline) {
      const missing = [...expected].filter((v) => !seen.has(v))
      throw new Error(
        `${what}: ${missing.length} of ${expected.size} missing after ${ms} ms (e.g. ${missing.slice(0, 5).join(', ')})`,
      )
    }
    const m = await maybeNext(c, 500)
    if (!m) continue
    all.push(m)
    seen.add(m.text())
    c.ack(m)
  }
  return all
}

void test('cut and black-holed sockets (fault proxy): producer resends, consumer resumes, nothing lost', async () => {
  const broker = await useBroker('pulsar')
  const web = new URL(broker.urls.admin!)
  const proxy = await startFaultProxy({ targetHost: web.hostname, targetPort: Number(web.port) })
  // A handshake attempted into the black hole hangs until connectTimeoutMs: keep it short here.
  const ws = client(`ws://${proxy.host}:${proxy.port}`, {
    keepAliveMs: 500,
    connectTimeoutMs: 5000,
    adminUrl: broker.urls.admin!,
  })
  try {
    const topic = unique('ws-proxy')
    const c = await ws.consumer({
      topic,
      subscription: 's',
      subscriptionType: 'Shared',
      pullMode: true,
      permits: 10,
    })
    const p = await ws.producer({ topic })
    const states: string[] = []
    c.socket.state.onChange((change) => states.push(change.to))
    const expected = new Set<string>()
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < 300; i++) {
      expected.add(String(i))
      sends.push(p.send(String(i)))
      if (i === 100) proxy.cutAll()
      if (i === 200) {
        proxy.blackhole(true)
        setTimeout(() => proxy.blackhole(false), 1500)
      }
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20))
    }
    await within(Promise.all(sends), 60_000, 'every send acknowledged across the faults')
    await collect(c, expected, 60_000, 'after cut and black hole')
    assert.ok(
      states.includes('disconnected') && states.at(-1) === 'ready',
      `the consumer reconnected: ${states.join(' → ')}`,
    )
    await c.close()
    await p.close()
  } finally {
    await ws.close()
    await proxy.close()
  }
})

void test('kill and restart of an exclusive broker: producer and consumer resume; unacked messages come back', async () => {
  const broker = await useBroker('pulsar', { exclusive: true })
  const ws = client(broker.urls.ws!)
  try {
    const topic = unique('ws-kill')
    const c = await ws.consumer({ topic, subscription: 'survivor', subscriptionType: 'Exclusive' })
    const r = await ws.reader({ topic, startMessageId: 'earliest' })
    // The outage lasts as long as a standalone takes to start again: sends wait that long.
    const p = await ws.producer({ topic, sendTimeoutMs: 180_000 })
    await p.send(Array.from({ length: 20 }, (_, i) => `before-${i}`))
    // Take 10, ack 5: the other 15 are unacked and must survive the kill.
    const taken: PulsarWsMessage[] = []
    while (taken.length < 10) {
      const m = await maybeNext(c, 500)
      if (m) taken.push(m)
    }
    for (const m of taken.slice(0, 5)) c.ack(m)
    const readerSeen: string[] = []
    while (readerSeen.length < 20) {
      const m = await maybeNext(r, 500)
      if (m) readerSeen.push(m.text())
    }
    await new Promise((resolve) => setTimeout(resolve, 500)) // let the acks reach the cursor

    await broker.kill()
    // Sent while the broker is down: held and written once the socket is back.
    const during = p.send(Array.from({ length: 10 }, (_, i) => `during-${i}`))
    await broker.restart()
    await within(during, 120_000, 'sends issued during the outage')

    const unacked = new Set([
      ...Array.from({ length: 15 }, (_, i) => `before-${i + 5}`),
      ...Array.from({ length: 10 }, (_, i) => `during-${i}`),
    ])
    await collect(c, unacked, 120_000, 'the consumer after restart')
    // The reader resumes after the last message it had: it sees the new ones, not the old ones again.
    const afterRestart: string[] = []
    while (afterRestart.length < 10) {
      const m = await maybeNext(r, 500)
      if (m) afterRestart.push(m.text())
    }
    assert.deepEqual(
      afterRestart,
      Array.from({ length: 10 }, (_, i) => `during-${i}`),
    )
    await Promise.all([c.close(), r.close(), p.close()])
  } finally {
    await ws.close()
    await broker.stop()
  }
})
