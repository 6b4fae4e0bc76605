// One directory reached through different spellings — a symlink, a relative path, an absolute
// one, a `..` detour — is one open directory in this process: one engine, one log, nothing lost.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { connect } from '../../../src/index.ts'
import type { MemoryBroker } from '../../../src/memory/index.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-real-path-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

void test('a symlink, relative and absolute spellings share one engine; every acknowledged message is kept', async () => {
  const dir = path.join(root, 'data')
  const link = path.join(root, 'link')
  fs.mkdirSync(dir)
  fs.symlinkSync(dir, link)
  const spellings = [
    `file:${dir}`,
    `file:${link}`,
    `file:${path.relative(process.cwd(), dir)}`,
    `file:${path.join(link, '..', 'data')}`,
  ]
  const brokers = (await Promise.all(spellings.map((url) => connect(url)))) as MemoryBroker[]
  for (const b of brokers) assert.equal(b.engine, brokers[0]!.engine, 'one engine for every spelling')
  const PER = 100
  await Promise.all(
    brokers.map(async (b, i) => {
      const producer = await b.producer({ topic: 'orders' })
      for (let n = 0; n < PER; n++) await producer.send({ value: `${i}-${n}` })
    }),
  )
  for (const b of brokers) await b.close()

  const reopened = await connect(`file:${link}`)
  const consumer = await reopened.consumer({ topic: 'orders', from: 'earliest' })
  const seen = new Set<string>()
  for await (const batch of consumer) {
    for (const m of batch.messages) seen.add(m.valueString() ?? '')
    await batch.ack()
    if (seen.size >= spellings.length * PER) break
  }
  const described = await reopened.admin.describeTopic('orders')
  await reopened.close()
  assert.equal(described.partitions[0]!.latest, spellings.length * PER, 'no message overwritten')
  assert.equal(seen.size, spellings.length * PER)
})

void test('a data directory path that goes through a file is a StorageError, not a bare Node error', async () => {
  const file = path.join(root, 'plain-file')
  fs.writeFileSync(file, '')
  for (const url of [`file:${file}`, `file:${path.join(file, 'sub')}`]) {
    await assert.rejects(connect(url), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'CONDUIT_STORAGE', String(error))
      assert.equal((error as { systemCode?: string }).systemCode, 'ENOTDIR')
      return true
    })
  }
})
