// Group commit of FileLog.sync(): however many callers arrive while an fsync runs, they all share
// ONE next fsync. (They used to be re-queued one by one, so the first got an fsync of its own and
// the rest waited for yet another: fsync=always made one fsync per flush, half its possible rate.)
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, mock, test } from 'node:test'
import { FileLog } from '../../../src/memory/file/log.ts'
import { StoredMessage, recordSize } from '../../../src/memory/message.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-group-commit-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

function append(log: FileLog, text: string): void {
  const value = new TextEncoder().encode(text)
  log.append([
    new StoredMessage(
      't',
      0,
      log.next,
      Date.now(),
      null,
      value,
      undefined,
      recordSize(null, value, undefined),
    ),
  ])
}

/** Holds every fdatasync until the test releases it, to see what each one covers. */
function holdFdatasyncs() {
  const real = fs.fdatasync
  const held: (() => void)[] = []
  const mocked = mock.method(fs, 'fdatasync', (fd: number, callback: (error: Error | null) => void) => {
    held.push(() => real(fd, callback))
  })
  return { held, restore: () => mocked.mock.restore() }
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 2))
  assert.ok(condition(), 'timed out')
}

void test('callers arriving during an fsync share one next fsync, while appends keep coming', async () => {
  const log = FileLog.open(path.join(root, 'a'), 't', 0, { segmentBytes: 1 << 20 })
  const syncs = holdFdatasyncs()
  const done: string[] = []
  const flush = (name: string) => {
    append(log, name) // a flush: one write, then sync() before its sends are acknowledged
    log.sync(() => done.push(name))
  }
  try {
    flush('a')
    flush('b') // during the first fsync: both wait for the next one
    flush('c')
    assert.equal(syncs.held.length, 1)
    syncs.held.shift()!()
    await until(() => syncs.held.length === 1) // the second fsync started, covering b and c
    flush('d') // arrives during the second fsync
    syncs.held.shift()!()
    await until(() => done.length >= 3)
    await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(done, ['a', 'b', 'c'], 'the second fsync completed b and c together')
    assert.equal(syncs.held.length, 1, 'd waits for the third')
    syncs.held.shift()!()
    await until(() => done.length === 4)
    assert.deepEqual(done, ['a', 'b', 'c', 'd'])
  } finally {
    syncs.restore()
    for (const release of syncs.held) release()
    log.close()
  }
})
