// Redelivery after nack (issue 14, finding 10): a consumer that always nacks, or a handler that
// always throws, must leave the event loop free (timers, AbortSignal) and wait the redelivery delay.
// Every loop below is bounded by the wall clock, not by a timer, so that without the fix a test
// fails instead of hanging (a starved event loop never runs the test runner's timeout either).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import type { Broker } from '../../src/core/contract.ts'
import { ConfigError } from '../../src/core/errors.ts'
import { memoryDriver } from '../../src/memory/index.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'conduit-redelivery-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let dirs = 0

const urls = {
  'memory:': () => 'memory:',
  'file:': () => `file:${path.join(dir, String(++dirs))}`,
}

async function withMessage(url: string): Promise<Broker> {
  const broker = await memoryDriver.connect(url, {})
  const producer = await broker.producer({ topic: 't' })
  await producer.send({ value: 'poison' })
  return broker
}

for (const [name, url] of Object.entries(urls)) {
  void test(`${name} a consumer that always nacks lets a 100 ms timer fire and waits 1 s by default`, async () => {
    const broker = await withMessage(url())
    const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest' })
    let firedAfter = -1
    const started = Date.now()
    setTimeout(() => (firedAfter = Date.now() - started), 100)
    let deliveries = 0
    const stop = setTimeout(() => void consumer.close(), 300)
    for await (const batch of consumer) {
      deliveries++
      await batch.nack()
      if (Date.now() - started > 3000) break // without the fix: never leaves the microtask queue
    }
    clearTimeout(stop)
    assert.ok(firedAfter >= 0 && firedAfter < 250, `the 100 ms timer fired after ${firedAfter} ms`)
    assert.equal(deliveries, 1, 'within 300 ms of the first delivery, the default 1 s delay holds the rest')
    await broker.close()
  })

  void test(`${name} run() with a handler that always throws stops on an AbortSignal`, async () => {
    const broker = await withMessage(url())
    const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', redeliveryDelayMs: 0 })
    const controller = new AbortController()
    const started = Date.now()
    let calls = 0
    let firedAfter = -1
    setTimeout(() => {
      firedAfter = Date.now() - started
      controller.abort()
    }, 100)
    await consumer.run({
      signal: controller.signal,
      handle: () => {
        calls++
        // Without the fix the abort never runs: end the test by failing instead of spinning on.
        if (Date.now() - started > 3000) controller.abort()
        throw new Error('always fails')
      },
    })
    assert.ok(firedAfter >= 0 && firedAfter < 250, `the abort timer fired after ${firedAfter} ms`)
    assert.ok(Date.now() - started < 1000, 'run() ended promptly after the abort')
    assert.ok(calls > 1, 'with redeliveryDelayMs 0 the message did come back (yielding, not waiting)')
    await broker.close()
  })
}

/** Times of each delivery (ms since the first) of a message that is always nacked, for `windowMs`. */
async function deliveryTimes(options: Record<string, unknown>, windowMs: number): Promise<number[]> {
  const broker = await withMessage('memory:')
  const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', ...options })
  const times: number[] = []
  const stop = setTimeout(() => void consumer.close(), windowMs)
  let first = 0
  for await (const batch of consumer) {
    const now = performance.now()
    if (times.length === 0) first = now
    times.push(now - first)
    await batch.nack()
    if (times.length > 1000) break // without a delay: fail below instead of spinning
  }
  clearTimeout(stop)
  await broker.close()
  return times
}

void test('the delay is honoured and doubles per delivery up to maxRedeliveryDelayMs', async () => {
  const backoff = await deliveryTimes({ redeliveryDelayMs: 50 }, 600)
  // Due at 0, 50, 150, 350, 750 ms: 4 deliveries within 600 ms, each gap at least its delay.
  assert.equal(backoff.length, 4, `deliveries at ${backoff.map(Math.round).join(', ')} ms`)
  for (let i = 1; i < backoff.length; i++) {
    const gap = backoff[i]! - backoff[i - 1]!
    assert.ok(gap >= 50 * 2 ** (i - 1) - 2, `gap ${i} was ${gap.toFixed(1)} ms, shorter than its delay`)
  }
  const capped = await deliveryTimes({ redeliveryDelayMs: 50, maxRedeliveryDelayMs: 50 }, 600)
  // Every 50 ms: about 12 within 600 ms; a loaded machine delivers fewer, never more.
  assert.ok(capped.length >= 5 && capped.length <= 12, `${capped.length} deliveries with the delay capped`)
  for (let i = 1; i < capped.length; i++) assert.ok(capped[i]! - capped[i - 1]! >= 48)
})

void test('with redeliveryDelayMs 0 an always-nacking loop still lets a timer fire', async () => {
  const broker = await withMessage('memory:')
  const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', redeliveryDelayMs: 0 })
  let fired = false
  setTimeout(() => (fired = true), 5)
  const started = Date.now()
  let deliveries = 0
  for await (const batch of consumer) {
    deliveries++
    await batch.nack()
    if (fired || Date.now() - started > 3000) break
  }
  assert.ok(fired, 'the timer ran while the consumer kept nacking')
  assert.ok(Date.now() - started < 1000, `the timer was delayed ${Date.now() - started} ms`)
  assert.ok(deliveries > 1, 'the message came back without waiting')
  await broker.close()
})

void test('a nacked partition waits while the other partitions of the member keep flowing', async () => {
  const broker = await memoryDriver.connect('memory:', {})
  await broker.admin.createTopic('t', { partitions: 2 })
  const producer = await broker.producer({ topic: 't' })
  await producer.send({ value: 'poison', partition: 0 })
  const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest' })
  const seen: string[] = []
  let sent = 0
  const feeding = setInterval(() => void producer.send({ value: `ok-${sent++}`, partition: 1 }), 10)
  const stop = setTimeout(() => void consumer.close(), 300)
  for await (const batch of consumer) {
    for (const m of batch.messages) seen.push(m.valueString()!)
    if (batch.messages.some((m) => m.partition === 0)) await batch.nack()
    else await batch.ack()
    if (seen.length > 10_000) break
  }
  clearTimeout(stop)
  clearInterval(feeding)
  assert.equal(seen.filter((v) => v === 'poison').length, 1, 'partition 0 waits its 1 s delay')
  assert.ok(seen.filter((v) => v.startsWith('ok-')).length >= 5, `partition 1 kept flowing: ${seen.length}`)
  await broker.close()
})

void test('redelivery options are validated', async () => {
  const broker = await memoryDriver.connect('memory:', {})
  await assert.rejects(broker.consumer({ topic: 't', redeliveryDelayMs: -1 }), ConfigError)
  await assert.rejects(broker.consumer({ topic: 't', redeliveryDelayMs: 1.5 }), ConfigError)
  await assert.rejects(
    broker.consumer({ topic: 't', redeliveryDelayMs: 100, maxRedeliveryDelayMs: 50 }),
    /maxRedeliveryDelayMs \(50\) must be at least redeliveryDelayMs \(100\)/,
  )
  await broker.close()
})
