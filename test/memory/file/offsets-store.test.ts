import assert from 'node:assert/strict'
import dc from 'node:diagnostics_channel'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, mock, test } from 'node:test'
import { OffsetsStore } from '../../../src/memory/file/offsets-store.ts'
import { STORAGE_DAMAGE_CHANNEL } from '../../../src/core/diagnostics.ts'
import type { StorageDamageEvent } from '../../../src/core/diagnostics.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-offsets-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

void test('commits survive a reopen; the latest commit per partition wins; deletes are remembered', () => {
  const dir = path.join(root, 'a')
  fs.mkdirSync(dir)
  const store = OffsetsStore.open(dir)
  store.commit('g', 't', 0, 5)
  store.commit('g', 't', 0, 9)
  store.commit('g', 't', 1, 2)
  store.commit('h', 'u', 0, 1)
  store.deleteTopic('h', 'u')
  store.close()
  const table = OffsetsStore.open(dir).load()
  assert.deepEqual(
    [...table.get('g')!.get('t')!.entries()],
    [
      [0, 9],
      [1, 2],
    ],
  )
  assert.equal(table.has('h'), false)
})

void test('a torn last commit is dropped and the file is cut back to the valid part', () => {
  const dir = path.join(root, 'b')
  fs.mkdirSync(dir)
  const store = OffsetsStore.open(dir)
  store.commit('g', 't', 0, 1)
  store.commit('g', 't', 0, 2)
  store.close()
  const file = path.join(dir, 'offsets.log')
  const valid = fs.statSync(file).size
  fs.appendFileSync(file, Buffer.from([30, 0, 0, 0, 1, 2]))
  const reopened = OffsetsStore.open(dir)
  assert.equal(reopened.load().get('g')!.get('t')!.get(0), 2)
  assert.equal(fs.statSync(file).size, valid)
  reopened.commit('g', 't', 0, 3)
  reopened.close()
  assert.equal(OffsetsStore.open(dir).load().get('g')!.get('t')!.get(0), 3)
})

void test('many commits compact the file to one record per partition', () => {
  const dir = path.join(root, 'c')
  fs.mkdirSync(dir)
  const store = OffsetsStore.open(dir)
  for (let i = 0; i <= 100_001; i++) store.commit('g', 't', i % 2, i)
  store.close()
  const size = fs.statSync(path.join(dir, 'offsets.log')).size
  assert.ok(size < 10_000, `compacted to ${size} bytes`)
  const table = OffsetsStore.open(dir).load()
  assert.equal(table.get('g')!.get('t')!.get(0), 100_000)
  assert.equal(table.get('g')!.get('t')!.get(1), 100_001)
})

/** Waits (bounded) until `fd` is closed: the close runs on the thread pool after the fsync's callback. */
async function closed(fd: number, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      fs.fstatSync(fd)
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, 'EBADF', what)
      return
    }
    await new Promise((r) => setTimeout(r, 10))
  }
  assert.fail(`${what}: descriptor ${fd} still open after 2 s`)
}

void test('the interval sync runs in the background; compaction and close under it lose nothing and leak no descriptor', async () => {
  const dir = path.join(root, 'd')
  fs.mkdirSync(dir)
  const store = OffsetsStore.open(dir)
  store.commit('g', 't', 0, 1)
  const held: { fd: number; release: () => void }[] = []
  const realFdatasync = fs.fdatasync
  const hold = mock.method(fs, 'fdatasync', (fd: number, callback: (error: Error | null) => void) => {
    held.push({ fd, release: () => realFdatasync(fd, callback) })
  })
  try {
    store.sync()
    assert.equal(held.length, 1, 'started, not waited for')
    store.sync()
    assert.equal(held.length, 1, 'one at a time')
    const first = held[0]!
    // Enough commits to compact: the file is replaced while the fsync of the old one runs.
    for (let i = 2; i <= 100_002; i++) store.commit('g', 't', i % 2, i)
    assert.ok(fs.fstatSync(first.fd), 'the old descriptor stays open for the running fsync')
    first.release()
    await closed(first.fd, 'and is closed once it is done')
    store.commit('g', 't', 0, 100_004)
    store.sync()
    assert.equal(held.length, 2)
    store.close() // syncs at once itself, leaves the descriptor to the running fsync
    assert.ok(fs.fstatSync(held[1]!.fd))
    held[1]!.release()
    await closed(held[1]!.fd, 'closed once the running fsync is done')
  } finally {
    hold.mock.restore()
  }
  const table = OffsetsStore.open(dir).load()
  assert.equal(table.get('g')!.get('t')!.get(0), 100_004)
  assert.equal(table.get('g')!.get('t')!.get(1), 100_001)
})

/** Collects `conduit:storage:damage` events while `fn` runs. */
function damageEvents(fn: () => void): StorageDamageEvent[] {
  const events: StorageDamageEvent[] = []
  const listener = (message: unknown) => events.push(message as StorageDamageEvent)
  dc.subscribe(STORAGE_DAMAGE_CHANNEL, listener)
  try {
    fn()
  } finally {
    dc.unsubscribe(STORAGE_DAMAGE_CHANNEL, listener)
  }
  return events
}

void test('one flipped bit costs one commit: later commits of every group are kept, and the skip is reported', () => {
  const dir = path.join(root, 'flip')
  fs.mkdirSync(dir)
  const store = OffsetsStore.open(dir)
  store.commit('g', 't', 0, 1)
  store.commit('g', 't', 0, 2) // the damaged one
  store.commit('h', 't', 0, 7)
  store.commit('g', 't', 1, 4)
  store.close()
  const file = path.join(dir, 'offsets.log')
  const bytes = fs.readFileSync(file)
  const recordLength = bytes.length / 4
  for (const at of [recordLength + 2, recordLength + 5, recordLength + 20]) {
    const damaged = Buffer.from(bytes)
    damaged[at]! ^= 0x04 // in the length, the CRC or the payload of the second record
    fs.writeFileSync(file, damaged)
    let table: ReturnType<OffsetsStore['load']> | undefined
    const events = damageEvents(() => {
      const reopened = OffsetsStore.open(dir)
      table = reopened.load()
      reopened.close()
    })
    assert.equal(table!.get('g')!.get('t')!.get(0), 1, 'the group falls back to its previous commit')
    assert.equal(table!.get('g')!.get('t')!.get(1), 4)
    assert.equal(table!.get('h')!.get('t')!.get(0), 7)
    assert.deepEqual(
      events.map((e) => [e.kind, e.file, e.bytes]),
      [['offsets-skipped', file, recordLength]],
    )
    // Rewritten without the damaged record: the next open reads it clean.
    assert.deepEqual(
      damageEvents(() => OffsetsStore.open(dir).close()),
      [],
    )
    assert.equal(OffsetsStore.open(dir).load().get('h')!.get('t')!.get(0), 7)
  }
})
