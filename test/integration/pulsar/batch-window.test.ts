// When a batching producer waits out its batch window, against the real broker. A batch opened
// while the producer holds no other message goes out when the event loop's turn ends (an awaited
// send does not pay batchingMaxDelayMs); one opened while other messages await their receipts
// waits for the window and gathers what comes meanwhile.
import assert from 'node:assert/strict'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import { PulsarProducer, createClient } from '../../../src/pulsar/index.ts'
import type { MessageId, PulsarClient } from '../../../src/pulsar/index.ts'
import { useBroker } from '../../support/brokers.ts'
import { unique } from './helpers.ts'

let client: PulsarClient

before(async () => {
  const b = await useBroker('pulsar')
  client = await createClient(b.url)
})
after(() => client.close())

/** Resolves with the send's id, or with 'window' if `ms` pass first. */
async function beforeWindow(send: Promise<MessageId>, ms: number): Promise<MessageId | 'window'> {
  const cancel = new AbortController()
  const timer = sleep(ms, 'window' as const, { signal: cancel.signal }).catch(() => 'window' as const)
  try {
    return await Promise.race([send, timer])
  } finally {
    cancel.abort()
  }
}

void test('an awaited send on an idle batching producer does not wait for the batch window', async () => {
  const window = 30_000
  const p = await PulsarProducer.create(client, { topic: unique('window-idle'), batchingMaxDelayMs: window })
  for (let i = 0; i < 5; i++) {
    const id = await beforeWindow(p.send({ value: `alone-${i}` }), window / 2)
    assert.notEqual(id, 'window', `send ${i} waited for the ${window} ms batch window`)
  }
  await p.close()
})

void test('sends made in one turn of the event loop still share one batch', async () => {
  const p = await PulsarProducer.create(client, { topic: unique('window-turn'), batchingMaxDelayMs: 30_000 })
  const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => p.send({ value: `turn-${i}` })))
  assert.equal(new Set(ids.map((id) => id.entryKey())).size, 1, `one entry: ${ids.map(String).join(' ')}`)
  assert.deepEqual(
    ids.map((id) => id.batchIndex),
    [...Array(6).keys()],
  )
  await p.close()
})

void test('a batch opened while a message awaits its receipt waits for the window and gathers', async () => {
  const p = await PulsarProducer.create(client, { topic: unique('window-busy'), batchingMaxDelayMs: 2000 })
  const first = p.send({ value: 'first' })
  // The first message's batch goes out in this check phase, and this await resumes in the same
  // phase, before the poll phase could read any receipt: the next send finds it still pending.
  await nextTurn()
  const second = p.send({ value: 'second' })
  await sleep(200)
  const third = p.send({ value: 'third' })
  const [a, b, c] = await Promise.all([first, second, third])
  assert.equal(a.batchIndex, -1, `the first went alone: ${String(a)}`)
  assert.equal(b.entryKey(), c.entryKey(), `second and third share an entry: ${String(b)} ${String(c)}`)
  assert.deepEqual([b.batchIndex, c.batchIndex], [0, 1])
  await p.close()
})
