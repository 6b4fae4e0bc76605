// checkOrder holds a driver to the order it promises each consumer, and to nothing more: the
// members of a Pulsar Shared subscription split one partition's messages, so arrivals may
// interleave across them, while one consumer must see each producer's messages in order.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../../src/core/contract.ts'
import { createMessage } from '../../src/core/message.ts'
import { checkOrder, payload } from '../../src/testing/harness.ts'

const encoder = new TextEncoder()

/** Arrivals as [reader, producer, seq], all on partition 0 of one topic. */
function arrivals(list: [number, number, number][]) {
  const all: Message[] = []
  const readerOf = new Map<Message, number>()
  for (const [reader, producer, seq] of list) {
    const m = createMessage({
      topic: 't',
      partition: 0,
      offset: seq,
      id: `${producer}-${seq}`,
      key: null,
      value: encoder.encode(payload('tag', producer, seq)),
      timestamp: 0,
    })
    all.push(m)
    readerOf.set(m, reader)
  }
  return { all, readerOf }
}

void test('one consumer receiving a producer out of order fails, naming the consumer and the messages', () => {
  const verdict = checkOrder(
    arrivals([
      [0, 0, 1],
      [0, 0, 3],
      [0, 0, 2],
    ]),
    'partition',
  )
  assert.equal(verdict, 'consumer 0, partition 0: producer 0 message 2 arrived after 3')
})

void test('two consumers splitting a partition may interleave; each one in order passes', () => {
  const result = arrivals([
    [1, 0, 38],
    [0, 0, 32],
    [0, 0, 33],
    [1, 0, 39],
  ])
  assert.equal(checkOrder(result, 'partition'), null)
})

void test('a redelivery (seen before by any consumer) may come after newer messages', () => {
  const result = arrivals([
    [0, 0, 5],
    [0, 0, 6],
    [1, 0, 7],
    [1, 0, 5],
  ])
  assert.equal(checkOrder(result, 'partition'), null)
  assert.equal(
    checkOrder(
      arrivals([
        [0, 0, 2],
        [0, 0, 1],
      ]),
      'none',
    ),
    null,
  )
})
