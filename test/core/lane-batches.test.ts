import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMessage } from '../../src/core/message.ts'
import { LaneBatches, type LaneSource } from '../../src/core/lane-batches.ts'

interface M {
  lane: string
  n: number
}

/** A native consumer double: a queue the test fills, and a record of what was settled. */
function source(initial: M[]) {
  const queue = [...initial]
  const waiting: Array<(m: M | undefined) => void> = []
  const settled: Array<[string, number[]]> = []
  let receives = 0
  const src: LaneSource<M> = {
    receive() {
      receives++
      const m = queue.shift()
      return m ? Promise.resolve(m) : new Promise((resolve) => waiting.push(resolve))
    },
    receiveNow: (max) => queue.splice(0, max),
    lane: (m) => m.lane,
    view: (m) =>
      createMessage({
        topic: m.lane,
        partition: 0,
        offset: m.n,
        id: String(m.n),
        key: null,
        value: null,
        timestamp: 0,
      }),
    settle(messages, how) {
      settled.push([how, messages.map((m) => m.n)])
    },
  }
  return {
    src,
    settled,
    receives: () => receives,
    push(m: M) {
      const w = waiting.shift()
      if (w) w(m)
      else queue.push(m)
    },
    end() {
      for (const w of waiting.splice(0)) w(undefined)
    },
  }
}

const offsets = (b: { messages: readonly { offset: number }[] }) => b.messages.map((m) => m.offset)

void test('one batch per lane in flight; other lanes flow; ack releases the lane in order', async () => {
  const s = source([
    { lane: 'a', n: 1 },
    { lane: 'a', n: 2 },
    { lane: 'b', n: 3 },
  ])
  const lanes = new LaneBatches(s.src, { maxBatch: 10, ackTimeoutMs: undefined })
  const it = lanes.batches()
  const first = (await it.next()).value!
  assert.deepEqual(offsets(first), [1, 2, 3])
  s.push({ lane: 'a', n: 4 })
  s.push({ lane: 'c', n: 5 })
  // Lane c is free: its message comes at once; a's waits for the first batch to settle.
  assert.deepEqual(offsets((await it.next()).value!), [5])
  const next = it.next()
  const raced = await Promise.race([next, new Promise((r) => setTimeout(() => r('waiting'), 50))])
  assert.equal(raced, 'waiting')
  await first.ack()
  assert.deepEqual(offsets((await next).value!), [4])
  assert.deepEqual(s.settled, [['ack', [1, 2, 3]]])
  await first.ack() // settling twice does nothing
  assert.equal(s.settled.length, 1)
  lanes.close()
  s.end()
})

void test('nack and the ack timeout release a lane too', async () => {
  const s = source([{ lane: 'a', n: 1 }])
  const lanes = new LaneBatches(s.src, { maxBatch: 10, ackTimeoutMs: 30 })
  const it = lanes.batches()
  const first = (await it.next()).value!
  s.push({ lane: 'a', n: 2 })
  const second = it.next()
  await first.nack()
  const secondBatch = (await second).value!
  assert.deepEqual(offsets(secondBatch), [2])
  // Never settled: after the ack timeout the lane flows again, and a late ack is ignored.
  s.push({ lane: 'a', n: 3 })
  assert.deepEqual(offsets((await it.next()).value!), [3])
  await secondBatch.ack()
  assert.deepEqual(s.settled, [['nack', [1]]])
  lanes.close()
  s.end()
})

void test('a full stash stops taking from the native consumer', async () => {
  const s = source([{ lane: 'a', n: 0 }])
  const lanes = new LaneBatches(s.src, { maxBatch: 1, ackTimeoutMs: undefined })
  const it = lanes.batches()
  const first = (await it.next()).value!
  for (let n = 1; n <= 500; n++) s.push({ lane: 'a', n })
  const pending = it.next() // lane a is busy: the iterator fills its stash, then waits
  await new Promise((r) => setTimeout(r, 20))
  const receivesWhenFull = s.receives()
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(s.receives(), receivesWhenFull, 'no receive while the stash is full')
  assert.ok(receivesWhenFull < 10, `receive called ${receivesWhenFull} times`)
  await first.ack()
  assert.deepEqual(offsets((await pending).value!), [1])
  lanes.close()
  s.end()
})

void test('drop forgets the stash (and with lanes, what is in flight); close ends the iterator', async () => {
  const s = source([{ lane: 'a', n: 1 }])
  const lanes = new LaneBatches(s.src, { maxBatch: 10, ackTimeoutMs: undefined })
  const it = lanes.batches()
  await it.next()
  s.push({ lane: 'a', n: 2 })
  const pending = it.next()
  await new Promise((r) => setTimeout(r, 10))
  lanes.drop(true) // message 2 was stashed: gone; lane a is free again
  s.push({ lane: 'a', n: 4 })
  assert.deepEqual(offsets((await pending).value!), [4])
  const end = it.next()
  await new Promise((r) => setTimeout(r, 10))
  lanes.close() // waiting on lane a (4 is in flight): close ends the iterator
  assert.equal((await end).done, true)
  s.end()
})
