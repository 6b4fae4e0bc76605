// A connect('file:…') that fails part-way must close everything it opened and release the lock:
// 500 failed opens, failing at different points, leave the process's descriptor count unchanged.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { ConduitError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import { DirectoryLock } from '../../../src/memory/file/lock.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-open-failures-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

const ROUNDS = 500

function openDescriptors(): number {
  return fs.readdirSync('/proc/self/fd').length
}

/** A directory with three good topics (opened before the bad one fails) and the bad one. */
async function prepared(name: string, damage: (dir: string) => void): Promise<string> {
  const dir = path.join(root, name)
  const broker = await connect(`file:${dir}`)
  for (const topic of ['a-good', 'b-good', 'c-good', 'd-bad']) {
    await broker.admin.createTopic(topic, { partitions: 2 })
    const producer = await broker.producer({ topic })
    await producer.send({ value: 'x' })
  }
  await broker.close()
  damage(dir)
  return dir
}

void test(`${ROUNDS} opens failing at different points leak no descriptor and no lock`, async () => {
  const cases = [
    // the last topic's metadata is damaged: fails after the directory, lock, FORMAT and offsets
    await prepared('bad-topic', (dir) =>
      fs.writeFileSync(path.join(dir, 'topics', 'd-bad', 'topic.json'), '{'),
    ),
    // a partition log cannot be opened (its segment is a directory): fails with logs already open
    await prepared('bad-segment', (dir) => {
      const segment = path.join(dir, 'topics', 'd-bad', '1', '00000000000000000000.log')
      fs.rmSync(segment)
      fs.mkdirSync(segment)
    }),
    // the format file is damaged: fails right after taking the lock
    await prepared('bad-format', (dir) => fs.writeFileSync(path.join(dir, 'FORMAT'), 'conduit-file-log ?\n')),
    // the committed offsets cannot be read
    await prepared('bad-offsets', (dir) => {
      fs.rmSync(path.join(dir, 'offsets.log'))
      fs.mkdirSync(path.join(dir, 'offsets.log'))
    }),
  ]
  // Held by this process outside the registry: the open fails at the lock.
  const held = path.join(root, 'held')
  fs.mkdirSync(held)
  const lock = DirectoryLock.acquire(held)
  cases.push(held)

  const attempt = async (dir: string): Promise<void> => {
    await assert.rejects(connect(`file:${dir}`), (error: unknown) => error instanceof ConduitError)
  }
  for (const dir of cases) await attempt(dir) // anything opened once per process, opened now
  const before = openDescriptors()
  for (let i = 0; i < ROUNDS; i++) await attempt(cases[i % cases.length]!)
  assert.equal(openDescriptors(), before, 'descriptors after the failed opens')
  lock.release()
  // And no failed open kept its lock: each directory can be locked again.
  for (const dir of cases) DirectoryLock.acquire(dir).release()
})
