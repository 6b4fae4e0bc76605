// A damaged range in one partition of a `file:` log (issue 14, finding 7): it stops that partition
// only, reaches the application as a CorruptDataError naming file, partition and offsets, and with
// skipDamaged the consumer moves past it — reported, never silently.

import assert from 'node:assert/strict'
import dc from 'node:diagnostics_channel'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { connect } from '../../src/index.ts'
import type { Batch, Consumer, Message } from '../../src/core/contract.ts'
import { STORAGE_DAMAGE_CHANNEL } from '../../src/core/diagnostics.ts'
import type { StorageDamageEvent } from '../../src/core/diagnostics.ts'
import { CorruptDataError } from '../../src/core/errors.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-damaged-read-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))
const PER_PARTITION = 600

/**
 * Two partitions of PER_PARTITION messages, one batch each, in 64 KiB segments (several index
 * entries each); then one byte of partition 0's first segment flipped at `at`. Returns the URL.
 */
async function damagedTopic(name: string, at: number): Promise<{ url: string; file: string }> {
  const dir = path.join(root, name)
  const url = `file:${dir}?segmentBytes=65536`
  const broker = await connect(url)
  await broker.admin.createTopic('t', { partitions: 2 })
  const producer = await broker.producer({ topic: 't' })
  for (let i = 0; i < PER_PARTITION; i++) {
    for (const partition of [0, 1])
      await producer.send({ value: `p${partition}-o${i}-${'v'.repeat(100)}`, partition })
  }
  await broker.close()
  const file = path.join(dir, 'topics', 't', '0', '00000000000000000000.log')
  const bytes = fs.readFileSync(file)
  assert.ok(bytes.length > 60_000 && fs.readdirSync(path.dirname(file)).length > 2, 'several segments')
  bytes[at]! ^= 0x20
  fs.writeFileSync(file, bytes)
  return { url, file }
}

/** Consumes until `done`, acking every batch; damage errors thrown by the iterator are collected. */
async function consume(
  consumer: Consumer,
  done: (messages: Message[], errors: CorruptDataError[]) => boolean,
): Promise<{ messages: Message[]; errors: CorruptDataError[] }> {
  const messages: Message[] = []
  const errors: CorruptDataError[] = []
  const iterator = consumer[Symbol.asyncIterator]()
  const deadline = Date.now() + 20_000
  while (!done(messages, errors)) {
    assert.ok(Date.now() < deadline, `stalled after ${messages.length} messages and ${errors.length} errors`)
    let result: IteratorResult<Batch>
    try {
      result = await Promise.race([
        iterator.next(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no batch within 5 s')), 5000)),
      ])
    } catch (error) {
      if (!(error instanceof CorruptDataError)) throw error
      errors.push(error)
      continue
    }
    assert.equal(result.done, false)
    for (const m of result.value.messages) {
      assert.equal(m.valueString()!.split('-').slice(0, 2).join('-'), `p${m.partition}-o${m.offset}`)
      messages.push(m)
    }
    await result.value.ack()
  }
  return { messages, errors }
}

const offsetsOf = (messages: Message[], partition: number) =>
  messages.filter((m) => m.partition === partition).map((m) => m.offset)

void test('a damaged range stops its partition only: the error names it, the other partition keeps flowing', async () => {
  // Byte 1000 lies before the segment's second index entry: found by the read, not on open.
  const { url, file } = await damagedTopic('hold', 1000)
  const broker = await connect(url)
  assert.equal((await broker.admin.describeTopic('t')).partitions[0]!.damaged, undefined)
  const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', maxBatch: 100_000 })
  const { messages, errors } = await consume(
    consumer,
    (m, e) => offsetsOf(m, 1).length === PER_PARTITION && e.length > 0,
  )
  assert.equal(errors.length, 1, 'thrown once')
  const error = errors[0]!
  assert.equal(error.code, 'CONDUIT_CORRUPT_DATA')
  assert.equal(error.path, file)
  const range = error.range!
  assert.equal(range.topic, 't')
  assert.equal(range.partition, 0)
  assert.ok(range.from > 0 && range.to > range.from && range.to - range.from <= 2, JSON.stringify(range))
  assert.deepEqual(
    offsetsOf(messages, 0),
    Array.from({ length: range.from }, (_, i) => i),
    'partition 0 up to the damaged range',
  )
  assert.deepEqual(
    offsetsOf(messages, 1),
    Array.from({ length: PER_PARTITION }, (_, i) => i),
  )
  const described = (await broker.admin.describeTopic('t')).partitions[0]!.damaged
  assert.deepEqual(
    described?.map((d) => [d.kind, d.from, d.to, d.file]),
    [['damaged', range.from, range.to, file]],
  )
  // The application decides: seeking past the range resumes the partition.
  await consumer.seek(`t:0:${range.to}`)
  const rest = await consume(consumer, (m) => m.length === PER_PARTITION - range.to)
  assert.deepEqual(
    offsetsOf(rest.messages, 0),
    Array.from({ length: PER_PARTITION - range.to }, (_, i) => range.to + i),
  )
  await broker.close()
})

void test('skipDamaged moves the group past a damaged range and reports the skip', async () => {
  const { url, file } = await damagedTopic('skip', 30_000)
  const events: StorageDamageEvent[] = []
  const listener = (message: unknown) => events.push(message as StorageDamageEvent)
  dc.subscribe(STORAGE_DAMAGE_CHANNEL, listener)
  try {
    const broker = await connect(url)
    const consumer = await broker.consumer({ topic: 't', group: 'g', from: 'earliest', skipDamaged: true })
    const skipped = () => events.find((e) => e.kind === 'skipped')
    const { messages, errors } = await consume(
      consumer,
      (m) => skipped() !== undefined && m.length === 2 * PER_PARTITION - (skipped()!.to! - skipped()!.from!),
    )
    assert.deepEqual(errors, [])
    const skip = skipped()!
    assert.deepEqual([skip.topic, skip.partition, skip.group, skip.file], ['t', 0, 'g', file])
    const kept = offsetsOf(messages, 0)
    for (let o = 0; o < PER_PARTITION; o++)
      assert.equal(kept.includes(o), o < skip.from! || o >= skip.to!, `offset ${o}`)
    const group = await broker.admin.describeGroup('g')
    assert.deepEqual(
      group.offsets.map((o) => o.committed),
      [PER_PARTITION, PER_PARTITION],
    )
    await broker.close()
  } finally {
    dc.unsubscribe(STORAGE_DAMAGE_CHANNEL, listener)
  }
})

void test('skipDamaged must be a boolean', async () => {
  const broker = await connect('memory:')
  await assert.rejects(
    broker.consumer({ topic: 't', skipDamaged: 'yes' }),
    /skipDamaged must be true or false/,
  )
  await broker.close()
})
