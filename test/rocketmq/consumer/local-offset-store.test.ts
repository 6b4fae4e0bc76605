import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { LocalOffsetStore } from '../../../src/rocketmq/consumer/local-offset-store.ts'
import { ConfigError } from '../../../src/core/errors.ts'

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'conduit-rmq-offsets-'))

void test('offsets written by one store are read back by the next (same client id and group)', async () => {
  const dir = await tempDir()
  const a = new LocalOffsetStore(dir, '127.0.0.1@app', 'g1')
  await a.load()
  a.set('t@b@0', 7)
  a.set('t@b@1', 12)
  await a.flush()
  assert.equal(a.path, join(dir, '127.0.0.1@app', 'g1', 'offsets.json'))
  const b = new LocalOffsetStore(dir, '127.0.0.1@app', 'g1')
  await b.load()
  assert.equal(b.get('t@b@0'), 7)
  assert.equal(b.get('t@b@1'), 12)
  assert.equal(b.get('t@b@2'), undefined)
  // Another group has its own file.
  const c = new LocalOffsetStore(dir, '127.0.0.1@app', 'g2')
  await c.load()
  assert.equal(c.get('t@b@0'), undefined)
})

void test('writes go through a temp file and leave no temp files behind', async () => {
  const dir = await tempDir()
  const s = new LocalOffsetStore(dir, 'c', 'g')
  await s.load()
  for (let i = 0; i < 20; i++) {
    s.set('t@b@0', i)
    void s.flush()
  }
  await s.flush()
  assert.deepEqual(await readdir(dirname(s.path)), ['offsets.json'])
  const parsed = JSON.parse(await readFile(s.path, 'utf8')) as { offsets: Record<string, number> }
  assert.equal(parsed.offsets['t@b@0'], 19, 'the last write wins (writes are serialized)')
})

void test('a damaged or malformed file is a ConfigError, not a silent restart', async () => {
  const dir = await tempDir()
  const s = new LocalOffsetStore(dir, 'c', 'g')
  await mkdir(dirname(s.path), { recursive: true })
  for (const bad of [
    '{"offsets": {"t@b@0": 3',
    '[]',
    '{"offsets": {"t@b@0": -1}}',
    '{"offsets": {"t@b@0": "x"}}',
  ]) {
    await writeFile(s.path, bad)
    await assert.rejects(new LocalOffsetStore(dir, 'c', 'g').load(), ConfigError, bad)
  }
})

void test('client ids and group names cannot escape the store directory', async () => {
  const dir = await tempDir()
  const s = new LocalOffsetStore(dir, '../../etc', '..')
  assert.ok(s.path.startsWith(dir + '/'), s.path)
  assert.ok(!s.path.slice(dir.length).includes('/../'), s.path)
})
