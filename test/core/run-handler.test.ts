import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Batch, Message } from '../../src/core/contract.ts'
import { ConfigError } from '../../src/core/errors.ts'
import { createMessage } from '../../src/core/message.ts'
import { lanesOf, runHandler } from '../../src/core/run-handler.ts'

function message(partition: number, offset: number, key: string | null): Message {
  return createMessage({
    topic: 't',
    partition,
    offset,
    id: `t:${partition}:${offset}`,
    key: key === null ? null : new TextEncoder().encode(key),
    value: new TextEncoder().encode(`${partition}-${offset}`),
    timestamp: 1,
  })
}

/** A scripted consumer: yields the given batches, records acks and nacks. */
function scripted(batches: Message[][]) {
  const log: string[] = []
  const consumer: AsyncIterable<Batch> = {
    async *[Symbol.asyncIterator]() {
      for (const [i, messages] of batches.entries()) {
        yield {
          messages,
          ack: async () => void log.push(`ack ${i}`),
          nack: async () => void log.push(`nack ${i}`),
        }
      }
    },
  }
  return { consumer, log }
}

void test('lanes: by partition, by key (keyless messages stay in partition order), or none', () => {
  const ms = [message(0, 0, 'a'), message(1, 0, 'a'), message(0, 1, 'b'), message(0, 2, null)]
  assert.deepEqual(
    lanesOf(ms, 'partition').map((l) => l.map((m) => m.id)),
    [['t:0:0', 't:0:1', 't:0:2'], ['t:1:0']],
  )
  assert.deepEqual(
    lanesOf(ms, 'key').map((l) => l.map((m) => m.id)),
    [['t:0:0', 't:1:0'], ['t:0:1'], ['t:0:2']],
  )
  assert.equal(lanesOf(ms, 'none').length, 4)
})

void test('one lane runs in order while lanes run in parallel up to the concurrency', async () => {
  const batch: Message[] = []
  for (let p = 0; p < 4; p++) for (let o = 0; o < 5; o++) batch.push(message(p, o, null))
  const { consumer, log } = scripted([batch])
  const seen = new Map<number, number[]>()
  let running = 0
  let peak = 0
  await runHandler(consumer, {
    concurrency: 3,
    handle: async (m) => {
      running++
      peak = Math.max(peak, running)
      await new Promise((r) => setTimeout(r, 2))
      seen.set(m.partition, [...(seen.get(m.partition) ?? []), m.offset])
      running--
    },
  })
  assert.equal(peak, 3)
  for (let p = 0; p < 4; p++) assert.deepEqual(seen.get(p), [0, 1, 2, 3, 4])
  assert.deepEqual(log, ['ack 0'])
})

void test('a throwing handler nacks the whole batch and processing continues with the next one', async () => {
  const { consumer, log } = scripted([[message(0, 0, null), message(0, 1, null)], [message(0, 2, null)]])
  const handled: number[] = []
  await runHandler(consumer, {
    handle: (m) => {
      handled.push(m.offset)
      if (m.offset === 0) throw new Error('boom')
    },
  })
  // offset 1 is never started after 0 failed in the same lane
  assert.deepEqual(handled, [0, 2])
  assert.deepEqual(log, ['nack 0', 'ack 1'])
})

void test('abort stops the loop; a batch arriving after the abort is nacked', async () => {
  const controller = new AbortController()
  const log: string[] = []
  let release: (() => void) | undefined
  const consumer: AsyncIterable<Batch> = {
    [Symbol.asyncIterator]() {
      let n = 0
      return {
        next: async () => {
          if (n++ === 0) {
            return {
              done: false,
              value: {
                messages: [message(0, 0, null)],
                ack: async () => void log.push('ack'),
                nack: async () => void log.push('nack'),
              },
            }
          }
          await new Promise<void>((r) => (release = r))
          return {
            done: false,
            value: {
              messages: [message(0, 1, null)],
              ack: async () => void log.push('late ack'),
              nack: async () => void log.push('late nack'),
            },
          }
        },
      }
    },
  }
  const running = runHandler(consumer, { handle: () => undefined, signal: controller.signal })
  while (!release) await new Promise((r) => setImmediate(r))
  controller.abort()
  await running
  release()
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(log, ['ack', 'late nack'])
})

void test('bad options are ConfigErrors', async () => {
  const { consumer } = scripted([])
  await assert.rejects(runHandler(consumer, { handle: () => undefined, concurrency: 0 }), ConfigError)
  await assert.rejects(runHandler(consumer, { handle: () => undefined, concurrency: 1.5 }), ConfigError)
  await assert.rejects(
    runHandler(consumer, { handle: () => undefined, orderBy: 'topic' as never }),
    ConfigError,
  )
  await assert.rejects(runHandler(consumer, { handle: 'x' as never }), ConfigError)
})

void test('resolves when the iterator ends', async () => {
  const { consumer, log } = scripted([[message(0, 0, 'k')], [message(0, 1, 'k')]])
  await runHandler(consumer, { orderBy: 'key', concurrency: 8, handle: () => undefined })
  assert.deepEqual(log, ['ack 0', 'ack 1'])
})

void test('a handler that always throws lets timers and an AbortSignal run (a driver redelivering at once)', async () => {
  // A driver that hands a nacked batch straight back, from memory, with no delay of its own. The
  // source ends after `limit` deliveries, so that without the fix this test fails instead of hanging.
  const limit = 50_000
  let deliveries = 0
  let deliveriesWhenTimerFired = -1
  const redelivering: AsyncIterable<Batch> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        Promise.resolve(
          deliveries++ < limit
            ? {
                done: false as const,
                value: { messages: [message(0, 0, null)], ack: async () => {}, nack: async () => {} },
              }
            : { done: true as const, value: undefined },
        ),
    }),
  }
  const controller = new AbortController()
  setTimeout(() => {
    deliveriesWhenTimerFired = deliveries
    controller.abort()
  }, 100)
  const started = performance.now()
  await runHandler(redelivering, {
    signal: controller.signal,
    handle: () => {
      throw new Error('always fails')
    },
  })
  assert.ok(deliveriesWhenTimerFired > 0, 'the 100 ms timer fired while the handler kept failing')
  assert.ok(deliveriesWhenTimerFired < limit, `the source ran dry (${deliveries}) before the timer fired`)
  assert.ok(deliveries < limit, 'the AbortSignal stopped the loop')
  assert.ok(performance.now() - started < 1000, 'and promptly')
})
