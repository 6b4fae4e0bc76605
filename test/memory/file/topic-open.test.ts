// Opening a directory whose topic metadata is damaged: Conduit never deletes data it cannot prove
// is an interrupted creation. Every damaged case stops the open with a typed error naming the file
// and the repair, leaves every byte in place, and repairTopic() brings the data back.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CorruptDataError, StorageError } from '../../../src/core/errors.ts'
import { connect } from '../../../src/index.ts'
import { repairTopic } from '../../../src/memory/index.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-topic-open-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

const COUNT = 20
let dirs = 0

/** A directory with topic "orders" (2 partitions) holding COUNT messages. */
async function withData(): Promise<{ dir: string; meta: string; segments: Map<string, Buffer> }> {
  const dir = path.join(root, `d${++dirs}`)
  const broker = await connect(`file:${dir}`)
  await broker.admin.createTopic('orders', { partitions: 2 })
  const producer = await broker.producer({ topic: 'orders' })
  await producer.send(Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })))
  await broker.close()
  return { dir, meta: path.join(dir, 'topics', 'orders', 'topic.json'), segments: snapshot(dir) }
}

/** Every file under topics/ but topic.json, with its bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name)
      if (e.isDirectory()) walk(full)
      else if (e.name !== 'topic.json') out.set(full, fs.readFileSync(full))
    }
  }
  walk(path.join(dir, 'topics'))
  return out
}

async function count(dir: string): Promise<number> {
  const broker = await connect(`file:${dir}`)
  try {
    const described = await broker.admin.describeTopic('orders')
    return described.partitions.reduce((n, p) => n + (p.latest! - p.earliest!), 0)
  } finally {
    await broker.close()
  }
}

function isCorrupt(dir: string, file: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof CorruptDataError, `expected CorruptDataError, got ${String(error)}`)
    assert.equal(error.path, file)
    assert.ok(
      error.hint.includes(`conduit repair topic orders --url file:${fs.realpathSync(dir)}`),
      error.hint,
    )
    return true
  }
}

void test('an empty topic.json (a power cut) stops the open; nothing is deleted; the repair restores it', async () => {
  const { dir, meta, segments } = await withData()
  fs.writeFileSync(meta, '')
  await assert.rejects(connect(`file:${dir}`), isCorrupt(dir, meta))
  assert.deepEqual(snapshot(dir), segments)
  assert.equal(fs.readFileSync(meta, 'utf8'), '', 'the damaged file itself is left as it was')
  const result = repairTopic(dir, 'orders')
  assert.deepEqual([result.partitions, result.rewritten, result.createdPartitions], [2, true, []])
  assert.equal(await count(dir), COUNT)
})

void test('one flipped bit anywhere in topic.json is detected, never opened and never deleted', async () => {
  const { dir, meta, segments } = await withData()
  const good = fs.readFileSync(meta)
  for (let i = 0; i < good.length; i++) {
    for (const mask of [0x01, 0x04]) {
      const bad = Buffer.from(good)
      bad[i]! ^= mask
      fs.writeFileSync(meta, bad)
      await assert.rejects(connect(`file:${dir}`), isCorrupt(dir, meta), `byte ${i} ^ ${mask}`)
    }
  }
  assert.deepEqual(snapshot(dir), segments)
  fs.writeFileSync(meta, good)
  assert.equal(await count(dir), COUNT)
})

void test('a topic.json the OS refuses to read (EISDIR) is a StorageError; nothing is deleted', async () => {
  const { dir, meta, segments } = await withData()
  fs.rmSync(meta)
  fs.mkdirSync(meta)
  await assert.rejects(connect(`file:${dir}`), (error: unknown) => {
    assert.ok(error instanceof StorageError, String(error))
    assert.equal(error.systemCode, 'EISDIR')
    assert.equal(error.path, meta)
    return true
  })
  assert.deepEqual(snapshot(dir), segments)
  fs.rmdirSync(meta)
  repairTopic(dir, 'orders')
  assert.equal(await count(dir), COUNT)
})

void test('a topic.json this user may not read (EACCES, e.g. after a restore) is a StorageError', async () => {
  const { dir, meta, segments } = await withData()
  fs.chmodSync(meta, 0o000)
  // Root reads any file whatever its mode: try as an unprivileged user, as a restore would leave it.
  const probe = `
    import { connect } from ${JSON.stringify(fileURLToPath(new URL('../../../src/index.ts', import.meta.url)))}
    try { await connect(${JSON.stringify(`file:${dir}`)}); console.log('opened') }
    catch (e) { console.log(JSON.stringify({ name: e.constructor.name, systemCode: e.systemCode, path: e.path })) }`
  const asUser =
    process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
  if (asUser.length > 0) {
    // The unprivileged user needs to reach the directory and take its lock.
    for (let d = dir; d !== root && d.startsWith(root); d = path.dirname(d)) fs.chmodSync(d, 0o777)
    fs.chmodSync(root, 0o777)
    for (const f of ['offsets.log', 'FORMAT']) fs.chmodSync(path.join(dir, f), 0o666)
    for (const f of fs.readdirSync(dir)) if (f.startsWith('LOCK')) fs.chmodSync(path.join(dir, f), 0o666)
    fs.chmodSync(path.join(dir, 'topics'), 0o777)
  }
  const [command, ...args] = [...asUser, process.execPath, '--input-type=module', '-e', probe]
  const run = spawnSync(command!, args, { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(JSON.parse(run.stdout), { name: 'StorageError', systemCode: 'EACCES', path: meta })
  fs.chmodSync(meta, 0o644)
  assert.deepEqual(snapshot(dir), segments)
  assert.equal(await count(dir), COUNT)
})

void test('a missing topic.json beside data stops the open; the repair infers the partitions', async () => {
  const { dir, meta, segments } = await withData()
  fs.rmSync(meta)
  await assert.rejects(connect(`file:${dir}`), isCorrupt(dir, meta))
  assert.deepEqual(snapshot(dir), segments)
  assert.equal(repairTopic(dir, 'orders').partitions, 2)
  assert.equal(await count(dir), COUNT)
})

void test('a topic.json that disagrees with the partition directories stops the open', async () => {
  const { dir, meta, segments } = await withData()
  // Written before topic.json had a checksum: accepted as such, but the count is checked.
  fs.writeFileSync(meta, JSON.stringify({ partitions: 1, createdAt: 0 }))
  await assert.rejects(connect(`file:${dir}`), isCorrupt(dir, meta))
  assert.deepEqual(snapshot(dir), segments)
  assert.throws(() => repairTopic(dir, 'orders', { partitions: 1 }), /would hide the data/)
  repairTopic(dir, 'orders')
  assert.equal(await count(dir), COUNT)
})

void test('interrupted creations are removed on open: an @creating- directory, or an old-style one without data', async () => {
  const dir = path.join(root, 'interrupted')
  const first = await connect(`file:${dir}`)
  await first.close()
  const topics = path.join(dir, 'topics')
  // What a crash leaves in the middle of createTopic: never renamed into place.
  fs.mkdirSync(path.join(topics, '@creating-123-456-1', '0'), { recursive: true })
  fs.writeFileSync(path.join(topics, '@creating-123-456-1', 'topic.json'), '{"partitions":1')
  // What an earlier Conduit's interrupted creation left: empty segments, no topic.json.
  fs.mkdirSync(path.join(topics, 'half', '0'), { recursive: true })
  fs.writeFileSync(path.join(topics, 'half', '0', '00000000000000000000.log'), '')
  fs.writeFileSync(path.join(topics, 'half', '0', '00000000000000000000.index'), '')
  const broker = await connect(`file:${dir}`)
  assert.deepEqual(await broker.admin.listTopics(), [])
  assert.deepEqual(fs.readdirSync(topics), [])
  // Created anew, the topic gets a checksummed topic.json and no staging directory is left.
  await broker.admin.createTopic('half', { partitions: 3 })
  await broker.close()
  assert.deepEqual(fs.readdirSync(topics), ['half'])
  assert.match(
    fs.readFileSync(path.join(topics, 'half', 'topic.json'), 'utf8'),
    /^\{"partitions":3,"createdAt":\d+,"crc32c":\d+\}$/,
  )
})

void test('the repair refuses while a broker has the directory open, and when there is nothing to count', async () => {
  const { dir } = await withData()
  const broker = await connect(`file:${dir}`)
  assert.throws(() => repairTopic(dir, 'orders'), /already open in this process/)
  await broker.close()
  const result = repairTopic(dir, 'orders')
  assert.equal(result.rewritten, false, 'an intact topic.json is left alone')
  fs.mkdirSync(path.join(dir, 'topics', 'bare'))
  assert.throws(() => repairTopic(dir, 'bare'), /--partitions N/)
  assert.deepEqual(repairTopic(dir, 'bare', { partitions: 2 }).createdPartitions, [0, 1])
})

void test('topics named like hidden files are kept, and what is not a topic is left alone', async () => {
  const dir = path.join(root, 'dotted')
  const broker = await connect(`file:${dir}`)
  for (const name of ['.hidden', '.deleted-x', '.creating-y']) {
    const producer = await broker.producer({ topic: name })
    await producer.send({ value: name })
  }
  await broker.close()
  const topics = path.join(dir, 'topics')
  fs.writeFileSync(path.join(topics, 'notes.txt'), 'a stray file')
  fs.mkdirSync(path.join(topics, 'not a topic'))
  const again = await connect(`file:${dir}`)
  assert.deepEqual((await again.admin.listTopics()).sort(), ['.creating-y', '.deleted-x', '.hidden'])
  await again.close()
  assert.ok(fs.existsSync(path.join(topics, 'notes.txt')) && fs.existsSync(path.join(topics, 'not a topic')))
})

void test('a topic creation that fails (disk full) is a StorageError and leaves nothing behind', async (t) => {
  const dir = path.join(root, 'creation-fails')
  const broker = await connect(`file:${dir}`)
  const fsync = t.mock.method(fs, 'fsyncSync', () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC' })
  })
  await assert.rejects(broker.admin.createTopic('orders', { partitions: 2 }), (error: unknown) => {
    assert.ok(error instanceof StorageError, String(error))
    assert.equal(error.systemCode, 'ENOSPC')
    assert.equal(error.retriable, true)
    return true
  })
  assert.deepEqual(fs.readdirSync(path.join(dir, 'topics')), [], 'no half-created topic')
  assert.deepEqual(await broker.admin.listTopics(), [])
  fsync.mock.restore()
  await broker.admin.createTopic('orders', { partitions: 2 })
  await broker.close()
  assert.equal(await count(dir), 0)
})
