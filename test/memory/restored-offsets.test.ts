// A group's committed offset past the end of a log that lost its tail is out of range: reported,
// and the group restarts by its `from` policy instead of silently skipping what is written next.

import assert from 'node:assert/strict'
import dc from 'node:diagnostics_channel'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { connect } from '../../src/index.ts'
import type { Broker, Message } from '../../src/core/contract.ts'
import { STORAGE_DAMAGE_CHANNEL } from '../../src/core/diagnostics.ts'
import type { StorageDamageEvent } from '../../src/core/diagnostics.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-restored-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

async function take(broker: Broker, group: string, count: number): Promise<Message[]> {
  const consumer = await broker.consumer({ topic: 't', group, from: 'earliest' })
  const out: Message[] = []
  for await (const batch of consumer) {
    out.push(...batch.messages)
    await batch.ack()
    if (out.length >= count) break
  }
  return out
}

void test('a commit past the end of a truncated log is reported and reset by from, not left to skip new messages', async () => {
  const dir = path.join(root, 'a')
  const url = `file:${dir}`
  let broker = await connect(url)
  const producer = await broker.producer({ topic: 't' })
  for (let i = 0; i < 10; i++) await producer.send({ value: `m${i}` }) // one batch each
  assert.equal((await take(broker, 'g', 10)).length, 10)
  await broker.close()
  const segment = path.join(dir, 'topics', 't', '0', '00000000000000000000.log')
  fs.truncateSync(segment, fs.statSync(segment).size - 3) // tears the batch of offset 9

  const events: StorageDamageEvent[] = []
  const listener = (message: unknown) => events.push(message as StorageDamageEvent)
  dc.subscribe(STORAGE_DAMAGE_CHANNEL, listener)
  try {
    broker = await connect(url)
  } finally {
    dc.unsubscribe(STORAGE_DAMAGE_CHANNEL, listener)
  }
  assert.deepEqual(
    events.map((e) => [e.kind, e.group, e.from, e.to]),
    [
      ['truncated', undefined, 9, null],
      ['offset-reset', 'g', 9, 10],
    ],
  )
  const again = await broker.producer({ topic: 't' })
  for (let i = 9; i < 12; i++) await again.send({ value: `n${i}` })
  // The group's policy is earliest: it re-reads from 0, and offsets 9 to 11 are not skipped.
  const read = await take(broker, 'g', 12)
  assert.deepEqual(
    read.map((m) => m.offset),
    Array.from({ length: 12 }, (_, i) => i),
  )
  await broker.close()
})

void test('the reset is on disk at once: a restart before the group subscribes cannot revive the stale commit', async () => {
  const dir = path.join(root, 'b')
  const url = `file:${dir}`
  let broker = await connect(url)
  const producer = await broker.producer({ topic: 't' })
  for (let i = 0; i < 10; i++) await producer.send({ value: `m${i}` })
  assert.equal((await take(broker, 'g', 10)).length, 10)
  await broker.close()
  const segment = path.join(dir, 'topics', 't', '0', '00000000000000000000.log')
  fs.truncateSync(segment, fs.statSync(segment).size - 3) // offset 9 is gone; g committed 10
  broker = await connect(url) // reports the reset; g does not subscribe
  await broker.close()
  broker = await connect(url)
  const more = await broker.producer({ topic: 't' })
  for (let i = 9; i < 12; i++) await more.send({ value: `n${i}` })
  // Without the reset on disk, g would resume at its stale 10 and skip the new offset 9.
  assert.deepEqual(
    (await broker.admin.describeGroup('g')).offsets.map((o) => o.committed),
    [9],
  )
  const read = await take(broker, 'g', 3)
  assert.deepEqual(
    read.map((m) => m.offset),
    [9, 10, 11],
  )
  await broker.close()
})
